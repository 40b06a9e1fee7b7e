"""Saved answers: saved from the chat (one's own answers) or the inbox (owners and admins), listed
and deleted by every member of the workspace, never seen from another."""

import pytest
from django.test import Client

from assistants.models import Assistant
from assistants.tests.conftest import website_conversation
from chat.models import ChatSession, Message, SavedAnswer
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db

SOURCE = {"n": 1, "chunk": 1, "document": "00000000-0000-0000-0000-000000000001", "title": "Handbook",
          "page_start": 2, "page_end": 2, "snippet": "Refunds within 30 days."}  # fmt: skip


def staff_answer(cast: Cast, user, tenant=None, status: str = Message.Status.COMPLETE) -> Message:
    chat = ChatSession.objects.create(tenant=tenant or cast.acme, user=user, title="Refunds")
    Message.objects.create(session=chat, role="user", content="What is the refund policy?")
    return Message.objects.create(
        session=chat, role="assistant", content="Within **30 days** [1].", sources=[SOURCE], status=status
    )


def test_it_saves_an_answer_from_the_chat_with_its_question(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.member)
    client.force_login(cast.member)

    response = client.post(f"/t/acme/chat/messages/{answer.public_id}/save/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "Saved ✓" in response.content.decode()
    saved = SavedAnswer.objects.get()
    assert (saved.tenant, saved.saved_by, saved.message) == (cast.acme, cast.member, answer)
    assert saved.question == "What is the refund policy?" and saved.answer == answer.content
    assert saved.sources == [SOURCE]


def test_it_saves_an_answer_once(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.member)
    client.force_login(cast.member)

    client.post(f"/t/acme/chat/messages/{answer.public_id}/save/")
    response = client.post(f"/t/acme/chat/messages/{answer.public_id}/save/")

    assert response.status_code == 302 and SavedAnswer.objects.count() == 1


def test_it_keeps_a_saved_answer_when_its_chat_is_deleted(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.member)
    client.force_login(cast.member)
    client.post(f"/t/acme/chat/messages/{answer.public_id}/save/")

    answer.session.delete()

    saved = SavedAnswer.objects.get()
    assert saved.message is None and saved.answer == "Within **30 days** [1]."


def test_it_lists_saved_answers_to_every_member_and_lets_them_delete(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.owner)
    client.force_login(cast.owner)
    client.post(f"/t/acme/chat/messages/{answer.public_id}/save/")
    saved = SavedAnswer.objects.get()
    client.force_login(cast.member)

    html = client.get("/t/acme/chat/saved/").content.decode()
    assert "What is the refund policy?" in html and "<strong>30 days</strong>" in html and "Handbook" in html
    assert "owner@acme.test" in html

    response = client.post(f"/t/acme/chat/saved/{saved.public_id}/delete/")
    assert response.status_code == 302 and not SavedAnswer.objects.exists()


def test_it_refuses_to_save_someone_elses_staff_answer(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.member)
    client.force_login(cast.owner)  # even an owner cannot read a member's chat

    assert client.post(f"/t/acme/chat/messages/{answer.public_id}/save/").status_code == 404
    assert not SavedAnswer.objects.exists()


def test_it_lets_owners_save_from_the_inbox_but_not_members(client: Client, cast: Cast) -> None:
    support = Assistant.objects.create(tenant=cast.acme, name="Support")
    chat = website_conversation(support, [("Shipping?", "Two days.")])
    answer = chat.messages.get(role="assistant")
    client.force_login(cast.member)
    assert client.post(f"/t/acme/chat/messages/{answer.public_id}/save/").status_code == 404

    client.force_login(cast.owner)
    response = client.post(f"/t/acme/chat/messages/{answer.public_id}/save/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert SavedAnswer.objects.get().question == "Shipping?"


def test_it_refuses_to_save_a_question_or_an_unfinished_answer(client: Client, cast: Cast) -> None:
    failed = staff_answer(cast, cast.member, status=Message.Status.FAILED)
    question = failed.session.messages.get(role="user")
    client.force_login(cast.member)

    assert client.post(f"/t/acme/chat/messages/{question.public_id}/save/").status_code == 404
    response = client.post(f"/t/acme/chat/messages/{failed.public_id}/save/")
    assert response.status_code == 400 and "Only a complete answer" in response.content.decode()
    assert not SavedAnswer.objects.exists()


def test_it_shows_the_save_button_under_a_finished_answer(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.member)
    client.force_login(cast.member)

    html = client.get(f"/t/acme/chat/{answer.session.public_id}/").content.decode()

    assert f"/t/acme/chat/messages/{answer.public_id}/save/" in html


def test_it_gives_another_tenants_user_404(client: Client, cast: Cast) -> None:
    answer = staff_answer(cast, cast.owner)
    saved = SavedAnswer.objects.create(tenant=cast.acme, message=answer, answer="Acme's secret answer")
    theirs = staff_answer(cast, cast.other, tenant=cast.globex)
    client.force_login(cast.other)

    assert client.get("/t/acme/chat/saved/").status_code == 404
    assert client.post(f"/t/acme/chat/saved/{saved.public_id}/delete/").status_code == 404
    assert client.post(f"/t/globex/chat/saved/{saved.public_id}/delete/").status_code == 404
    assert client.post(f"/t/globex/chat/messages/{answer.public_id}/save/").status_code == 404
    assert "Acme's secret answer" not in client.get("/t/globex/chat/saved/").content.decode()
    assert client.post(f"/t/acme/chat/messages/{theirs.public_id}/save/").status_code == 404
    assert SavedAnswer.objects.count() == 1
