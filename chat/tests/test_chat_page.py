from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents import recovery

pytestmark = pytest.mark.django_db


def session(cast_user, tenant, title: str, minutes_ago: int = 0) -> ChatSession:
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return ChatSession.objects.create(tenant=tenant, user=cast_user, title=title, updated=when)


def test_it_lists_the_users_own_sessions_newest_first(client: Client, cast: Cast) -> None:
    session(cast.member, cast.acme, "Older question", minutes_ago=30)
    session(cast.member, cast.acme, "Newer question", minutes_ago=1)
    session(cast.owner, cast.acme, "The owner's private chat")
    session(cast.member, cast.globex, "Somewhere else")  # not a member there, but never shown here
    client.force_login(cast.member)

    page = client.get("/t/acme/chat/").content.decode()

    assert page.index("Newer question") < page.index("Older question")
    assert "The owner&#x27;s private chat" not in page and "Somewhere else" not in page
    assert 'ws-connect="/ws/t/acme/chat/"' in page and 'hx-ext="ws"' in page
    assert "<script>" not in page and "style=" not in page  # CSP: no inline script or style


def test_it_shows_a_session_with_its_messages_and_sources(client: Client, cast: Cast) -> None:
    doc = make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    chat = session(cast.member, cast.acme, "Refunds")
    Message.objects.create(session=chat, role=Message.Role.USER, content="What about **refunds**?")
    source = {"n": 1, "chunk": 1, "document": str(doc.public_id), "title": "Handbook", "page_start": 3,
              "page_end": 4, "snippet": "Refunds within 30 days."}  # fmt: skip
    Message.objects.create(
        session=chat, role=Message.Role.ASSISTANT, content="Within **30 days** [1].", sources=[source]
    )
    client.force_login(cast.member)

    page = client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()

    assert "What about **refunds**?" in page  # the question as typed
    assert "Within <strong>30 days</strong>" in page  # the answer rendered
    assert f'href="/t/acme/documents/{doc.public_id}/file/#page=3"' in page  # stored before `page`: its first
    assert "page 3" in page and 'aria-current="page">Refunds</a>' in page


def test_it_opens_the_page_of_the_cited_passage_not_the_first_of_its_chunk(
    client: Client, cast: Cast
) -> None:
    doc = make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    chat = session(cast.member, cast.acme, "Refunds")
    source = {"n": 1, "chunk": 1, "document": str(doc.public_id), "title": "Handbook", "page_start": 3,
              "page_end": 4, "page": 4, "snippet": "Refunds within 30 days."}  # fmt: skip
    Message.objects.create(
        session=chat, role=Message.Role.ASSISTANT, content="Within 30 days [1].", sources=[source]
    )
    client.force_login(cast.member)

    page = client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()

    assert f'href="/t/acme/documents/{doc.public_id}/file/#page=4"' in page and "page 4" in page
    assert client.get(f"/t/globex/chat/{chat.public_id}/").status_code == 404  # another tenant


def test_it_gives_404_for_someone_elses_or_another_tenants_session(client: Client, cast: Cast) -> None:
    mine = session(cast.member, cast.acme, "Mine")
    client.force_login(cast.owner)
    assert client.get(f"/t/acme/chat/{mine.public_id}/").status_code == 404
    client.force_login(cast.other)
    assert client.get(f"/t/acme/chat/{mine.public_id}/").status_code == 404
    assert client.get(f"/t/globex/chat/{mine.public_id}/").status_code == 404
    assert client.get("/t/acme/chat/").status_code == 404


def test_it_reloads_the_whole_page_when_reached_by_boosted_navigation(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    response = client.get("/t/acme/chat/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.headers["HX-Redirect"] == "/t/acme/chat/"


def test_it_offers_only_the_tenants_ready_documents_to_search_in(client: Client, cast: Cast) -> None:
    make_document(cast.acme, "Acme handbook", ["Text."])
    make_document(cast.globex, "Globex secrets", ["Text."])
    client.force_login(cast.member)

    page = client.get("/t/acme/chat/").content.decode()

    assert "Acme handbook" in page and "Globex secrets" not in page


def answer_streaming_since(chat: ChatSession, minutes: int) -> Message:
    Message.objects.create(session=chat, role=Message.Role.USER, content="What about refunds?")
    return Message.objects.create(
        session=chat,
        role=Message.Role.ASSISTANT,
        content="Within 30",
        status=Message.Status.STREAMING,
        created=timezone.now() - timedelta(minutes=minutes),
    )


def test_it_shows_an_answer_whose_process_died_as_failed_with_its_text_and_retry(
    client: Client, cast: Cast
) -> None:
    chat = session(cast.member, cast.acme, "Refunds")
    answer = answer_streaming_since(chat, minutes=11)

    assert recovery.sweep() == []  # the workers' sweep (no documents to re-queue)

    answer.refresh_from_db()
    assert answer.status == Message.Status.FAILED and answer.content == "Within 30"
    client.force_login(cast.other)
    assert client.get(f"/t/acme/chat/{chat.public_id}/").status_code == 404  # another tenant's member
    client.force_login(cast.member)
    page = client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()
    assert "Within 30" in page and "interrupted" in page and ">Retry</button>" in page


def test_it_leaves_an_answer_that_is_still_streaming_alone(client: Client, cast: Cast) -> None:
    chat = session(cast.member, cast.acme, "Refunds")
    answer = answer_streaming_since(chat, minutes=9)
    client.force_login(cast.member)

    recovery.sweep()
    page = client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()

    answer.refresh_from_db()
    assert answer.status == Message.Status.STREAMING and "Within 30" in page and "interrupted" not in page
