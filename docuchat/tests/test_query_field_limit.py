"""An address with more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS is a clear 400 on every
route, answered before Django: it was a 500 (TooManyFieldsSent, raised again by the DEBUG page)."""

import json

import pytest
from django.test import override_settings

from docuchat.asgi import application
from docuchat.testing import call_asgi

pytestmark = pytest.mark.django_db


def query(fields: int) -> bytes:
    return "&".join(f"p{i}={i}" for i in range(fields)).encode()


@pytest.mark.parametrize("path", ["/login/", "/t/acme/documents/", "/widget/x/", "/no/such/page/"])
@pytest.mark.parametrize("debug", [True, False])
def test_it_refuses_too_many_query_parameters_on_a_page(path: str, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        answer = call_asgi(application, "GET", path, query=query(5000))
    assert answer.status == 400
    assert b"more than 1,000 query parameters" in answer.body


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/v1/documents", {"code": "bad_request"}),
        ("/v1/usage", {"code": "invalid"}),
    ],
)
def test_it_refuses_them_as_json_on_the_apis(path: str, fields: dict[str, str]) -> None:
    answer = call_asgi(application, "GET", path, headers={"authorization": "Bearer dck_x"}, query=query(1001))
    assert answer.status == 400
    body = json.loads(answer.body)
    assert fields.items() <= body.items()
    assert "query parameters" in body["message"]


def test_it_still_serves_an_address_at_the_limit() -> None:
    answer = call_asgi(application, "GET", "/login/", query=query(1000))
    assert answer.status == 200


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=None)
def test_it_counts_nothing_when_the_limit_is_off() -> None:
    assert call_asgi(application, "GET", "/login/", query=query(1500)).status == 200
