"""Malformed HTTP input gets a 400 or a 404 with a clear message, never a 500.

The fuzz test (test_fuzz_views.py) searches every view; these are the cases it and the probes
found, kept as plain examples.
"""

import pytest
from django.test import Client

from chat.models import ChatSession
from docuchat.lib.badinput import MESSAGE
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2026-13", "10000-01", "2026-1x"])
def test_it_answers_404_for_a_statement_month_out_of_range(owner: Client, month: str) -> None:
    response = owner.get(f"/t/acme/usage/statements/{month}/")
    assert response.status_code == 404


def test_it_answers_404_for_another_tenants_statement(owner: Client) -> None:
    assert owner.get("/t/globex/usage/statements/9999-12/").status_code == 404


def test_it_refuses_a_chat_title_with_a_nul_byte(owner: Client, cast: Cast) -> None:
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.owner, title="Refunds")
    response = owner.post(f"/t/acme/chat/{chat.public_id}/rename/", {"title": "a\x00b"})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    chat.refresh_from_db()
    assert chat.title == "Refunds"


def test_it_refuses_another_tenants_chat_before_reading_its_title(client: Client, cast: Cast) -> None:
    chat = ChatSession.objects.create(tenant=cast.globex, user=cast.other, title="Theirs")
    client.force_login(cast.owner)
    assert client.post(f"/t/globex/chat/{chat.public_id}/rename/", {"title": "Mine"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/account/leave/", {"tenant": "acme\x00"}),
        ("post", "/logout/", {"next": "/t/acme/\x00"}),
        ("get", "/login/", {"next": "\x00"}),
        ("get", "/t/acme/audit/", {"actor": "\x00"}),
        ("get", "/invite/a%00b/", {}),
    ],
)
def test_it_refuses_a_nul_byte_anywhere_with_a_message(
    owner: Client, method: str, path: str, data: dict[str, str]
) -> None:
    response = getattr(owner, method)(path, data)
    assert response.status_code == 400
    assert response.content.decode() == MESSAGE


def test_it_refuses_a_session_cookie_with_a_nul_byte(client: Client) -> None:
    client.cookies["sessionid"] = "abcdefgh\x00"
    assert client.get("/account/").status_code == 400


@pytest.mark.parametrize("next_url", ["abc", "\ufffd"])
def test_it_follows_a_next_address_that_looks_like_a_view_name_as_an_address(
    owner: Client, next_url: str
) -> None:
    response = owner.post("/logout/", {"next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url.replace("\ufffd", "%EF%BF%BD")
