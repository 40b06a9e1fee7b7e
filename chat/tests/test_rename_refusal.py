"""Renaming a chat to nothing shows the chat page again, its rename form open, saying why."""

import pytest
from django.test import Client

from chat.models import ChatSession
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


def test_it_shows_the_page_with_the_rename_form_and_the_reason(client: Client, cast: Cast) -> None:
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Refunds")
    client.force_login(cast.member)
    response = client.post(f"/t/acme/chat/{chat.public_id}/rename/", {"title": "   "})
    html = response.content.decode()
    assert (
        response.status_code == 400 and "<h1" in html and 'class="sidebar"' not in html.split("<main")[0][:0]
    )
    assert '<details class="chat-menu" open>' in html
    reason = "Give the conversation a title of 1 to 120 characters."
    assert f'<p class="error" id="rename-error" role="alert">{reason}</p>' in html
    assert 'id="rename-title" name="title" value="Refunds"' in html
    chat.refresh_from_db()
    assert chat.title == "Refunds"


def test_it_keeps_another_workspaces_chat_out_of_reach(client: Client, cast: Cast) -> None:
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Refunds")
    client.force_login(cast.other)
    assert client.post(f"/t/acme/chat/{chat.public_id}/rename/", {"title": "  "}).status_code == 404
