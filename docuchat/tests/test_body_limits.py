"""Request bodies over their route's limit are refused before Django reads them (the ASGI app)."""

from typing import Any

import pytest
from django.test import override_settings

from docuchat.asgi import application
from docuchat.testing import call_asgi

KB = 1024
MB = 1024 * KB


def call(path: str, pieces: list[bytes], *, declared: int | None = None) -> tuple[int, bytes, int]:
    """POST `pieces` to the ASGI app; return the status, the body, and how many pieces it read."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    answer = call_asgi(application, "POST", path, pieces, headers=form, declared=declared)
    return answer.status, answer.body, answer.read


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_KB=64)
def test_it_refuses_a_declared_length_over_the_limit_without_reading_the_body() -> None:
    status, body, read = call("/login/", [b"x" * MB] * 1000, declared=1000 * MB)
    assert status == 413
    assert read == 0
    assert b"larger than the 64 KB this address accepts" in body


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_KB=64)
def test_it_stops_reading_a_streamed_body_at_the_limit() -> None:
    status, body, read = call("/login/", [b"x" * (16 * KB)] * 1000)
    assert status == 413
    assert read == 5  # the fifth 16 KB piece passed 64 KB: nothing after it was read
    assert b"64 KB" in body


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_KB=64)
def test_it_refuses_unknown_addresses_at_the_small_limit() -> None:
    status, _, read = call("/no/such/page/", [b"x" * MB], declared=MB)
    assert (status, read) == (413, 0)


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_KB=64, MAX_UPLOAD_REQUEST_MB=3)
def test_it_lets_the_upload_take_its_own_larger_limit(cast: Any) -> None:
    # 2 MB is over the small limit but within the upload's: Django gets it (and, signed out, redirects).
    status, _, read = call("/t/acme/documents/", [b"x" * (256 * KB)] * 8)
    assert status == 302
    assert read == 8
    status, body, read = call("/t/acme/documents/", [b"x" * (256 * KB)] * 40)
    assert status == 413
    assert read == 13
    assert b"3 MB" in body


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_KB=64)
def test_it_leaves_small_bodies_to_django(cast: Any) -> None:
    status, _, read = call("/login/", [b"email=a%40b.test"], declared=16)
    assert status == 403  # no CSRF token: Django read it and answered, not the limit
    assert read == 1
