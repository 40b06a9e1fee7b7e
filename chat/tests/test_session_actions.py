import pytest
from django.test import Client

from chat.models import ChatSession, Message
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(cast: Cast) -> ChatSession:
    return ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Refunds")


@pytest.fixture
def answer(chat: ChatSession) -> Message:
    Message.objects.create(session=chat, role=Message.Role.USER, content="Refunds?")
    return Message.objects.create(session=chat, role=Message.Role.ASSISTANT, content="30 days.")


def test_it_renames_a_session(client: Client, cast: Cast, chat: ChatSession) -> None:
    client.force_login(cast.member)
    response = client.post(f"/t/acme/chat/{chat.public_id}/rename/", {"title": "  Refund   rules "})
    assert response.status_code == 302 and response.url == f"/t/acme/chat/{chat.public_id}/"
    chat.refresh_from_db()
    assert chat.title == "Refund rules"


def test_it_refuses_an_empty_or_long_title(client: Client, cast: Cast, chat: ChatSession) -> None:
    client.force_login(cast.member)
    for title in ("   ", "x" * 121):
        response = client.post(f"/t/acme/chat/{chat.public_id}/rename/", {"title": title})
        assert response.status_code == 400 and b"1 to 120 characters" in response.content
    chat.refresh_from_db()
    assert chat.title == "Refunds"


def test_it_deletes_a_session_with_its_messages(
    client: Client, cast: Cast, chat: ChatSession, answer
) -> None:
    client.force_login(cast.member)
    response = client.post(f"/t/acme/chat/{chat.public_id}/delete/")
    assert response.status_code == 302 and response.url == "/t/acme/chat/"
    assert not ChatSession.objects.exists() and not Message.objects.exists()


def test_it_stores_thumbs_up_and_down_and_takes_them_back(
    client: Client, cast: Cast, answer: Message
) -> None:
    client.force_login(cast.member)
    url = f"/t/acme/chat/messages/{answer.public_id}/feedback/"

    response = client.post(url, {"value": "up"}, headers={"HX-Request": "true"})
    answer.refresh_from_db()
    assert (
        answer.feedback == "up"
        and 'aria-pressed="true" title="This answer helped"' in response.content.decode()
    )
    client.post(url, {"value": "down"}, headers={"HX-Request": "true"})
    answer.refresh_from_db()
    assert answer.feedback == "down"
    client.post(url, {"value": "down"}, headers={"HX-Request": "true"})
    answer.refresh_from_db()
    assert answer.feedback == ""
    assert client.post(url, {"value": "meh"}).status_code == 400


def test_it_gives_404_to_anyone_else_for_every_session_action(
    client: Client, cast: Cast, chat: ChatSession, answer: Message
) -> None:
    posts = [
        (f"/t/acme/chat/{chat.public_id}/rename/", {"title": "Hijacked"}),
        (f"/t/acme/chat/{chat.public_id}/delete/", {}),
        (f"/t/acme/chat/messages/{answer.public_id}/feedback/", {"value": "down"}),
    ]
    for user, slug in ((cast.owner, "acme"), (cast.other, "acme"), (cast.other, "globex")):
        client.force_login(user)
        for url, data in posts:
            assert client.post(url.replace("/t/acme/", f"/t/{slug}/"), data).status_code == 404, (user, url)
    chat.refresh_from_db()
    answer.refresh_from_db()
    assert chat.title == "Refunds" and answer.feedback == ""
