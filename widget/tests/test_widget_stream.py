"""A visitor asks through the widget's socket: the turn streams, cites, and is kept for a reload."""

import pytest
from asgiref.sync import async_to_sync

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from usage.models import UsageRecord
from widget.models import Visitor, token_digest
from widget.tests.helpers import ask, connected, hello, live, socket

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_streams_a_cited_answer_to_a_new_visitor_and_meters_it_to_the_assistant(
    cast: Cast, llm: FakeLLM
) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    assistant = live(cast.acme)

    async def scenario():
        ws, greeting = await connected(assistant)
        replies = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        return greeting, replies

    greeting, replies = async_to_sync(scenario)()
    assert greeting["type"] == "hello" and len(greeting["visitor"]) >= 40 and greeting["messages"] == []
    kinds = [r["type"] for r in replies]
    assert kinds[0] == "started" and kinds[-1] == "done" and kinds.count("delta") == 8
    done = replies[-1]["answer"]
    assert done["status"] == "complete" and 'href="#src-' in done["html"]
    assert done["sources"][0]["title"] == "Handbook" and "30 days" in done["sources"][0]["snippet"]
    assert "url" not in done["sources"][0]  # visitors may not open pages unless the assistant says so

    visitor = Visitor.objects.get()
    assert visitor.token_hash == token_digest(greeting["visitor"])  # the token itself is not stored
    session = ChatSession.objects.get()
    assert session.visitor == visitor and session.user is None and session.assistant == assistant
    records = UsageRecord.objects.filter(message__session=session)
    assert records.count() == 2 and all(r.assistant_id == assistant.pk and r.user is None for r in records)


def test_it_shows_the_conversation_again_after_a_reload(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    assistant = live(cast.acme)

    async def scenario():
        ws, greeting = await connected(assistant)
        replies = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        conversation = replies[0]["conversation"]
        again = socket(assistant)
        await again.connect()
        back = await hello(again, greeting["visitor"], conversation)
        stranger = await hello(again, "", conversation)  # a new visitor with someone else's id
        await again.disconnect()
        return greeting, back, stranger, conversation

    greeting, back, stranger, conversation = async_to_sync(scenario)()
    assert back["visitor"] == greeting["visitor"] and back["conversation"] == conversation
    assert [m["role"] for m in back["messages"]] == ["user", "assistant"]
    assert back["messages"][0]["text"] == "What is the refund policy?"
    assert stranger["conversation"] == "" and stranger["messages"] == []
    assert stranger["visitor"] != greeting["visitor"]


def test_it_saves_thumbs_on_the_visitors_own_answers_only(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    assistant = live(cast.acme)

    async def scenario():
        ws, _ = await connected(assistant)
        answer = (await ask(ws, "What is the refund policy?"))[-1]["answer"]["id"]
        await ws.send_json_to({"action": "feedback", "answer": answer, "value": "down"})
        mine = await ws.receive_json_from(timeout=5)
        other, _ = await connected(assistant)
        await other.send_json_to({"action": "feedback", "answer": answer, "value": "up"})
        theirs = await other.receive_json_from(timeout=5)
        await ws.disconnect()
        await other.disconnect()
        return mine, theirs

    mine, theirs = async_to_sync(scenario)()
    assert mine == {"type": "feedback", "answer": mine["answer"], "value": "down"}
    assert theirs["value"] == ""
    assert Message.objects.get(role="assistant").feedback == "down"
