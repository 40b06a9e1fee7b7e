"""Allowed origins: one per line, normalised as browsers send them, each bad line explained."""

import pytest
from django.core.exceptions import ValidationError

from assistants.origins import normalise_origin, parse_origins


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Shop.Example", "https://shop.example"),
        ("https://shop.example/", "https://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_it_normalises_origins(given: str, expected: str) -> None:
    assert normalise_origin(given) == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("shop.example", "needs its scheme: write https://shop.example"),
        ("ftp://shop.example", "must start with https:// or http://"),
        ("https://*.shop.example", "has a wildcard"),
        ("https://shop.example/widget", "without a path"),
        ("https://shop.example?a=1", "without a path"),
        ("https://user:pw@shop.example", "user name or password"),
        ("https://shop.example:99999", "port that is not a number"),
        ("https://shop_example!", "valid host name"),
        ("https://", "valid host name"),
    ],
)
def test_it_says_what_is_wrong_with_a_bad_origin(given: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("?", r"\?").replace("*", r"\*")):
        normalise_origin(given)


def test_it_reads_lines_skipping_blanks_and_duplicates() -> None:
    lines = ["https://a.example", "", "  https://A.example/ ", "http://localhost:3000"]
    assert parse_origins(lines) == ["https://a.example", "http://localhost:3000"]


def test_it_names_every_bad_line() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_origins(["https://ok.example", "nope", "https://*.x"])
    assert raised.value.messages == [
        "Line 2, “nope”, needs its scheme: write https://nope.",
        "Line 3, “https://*.x”, has a wildcard: list each origin on its own line.",
    ]
