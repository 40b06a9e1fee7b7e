"""Each of an assistant's abuse controls, one test each: the visitor is told in words, and nothing
is saved or sent to the model."""

from datetime import UTC, datetime

import pytest
import time_machine
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from widget.tests.helpers import ask, connected, live

pytestmark = pytest.mark.django_db(transaction=True)
QUESTION = "What is the refund policy?"


@pytest.fixture
def refunds(cast: Cast) -> Cast:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    return cast


def ends(replies: list[dict]) -> dict:
    return replies[-1]


def questions_saved() -> int:
    return Message.objects.filter(role=Message.Role.USER).count()


def test_it_limits_questions_per_visitor_per_day(refunds: Cast, llm: FakeLLM) -> None:
    assistant = live(refunds.acme, visitor_daily_messages=2)

    async def day(visitor: str = "") -> tuple[str, list[dict]]:
        ws, greeting = await connected(assistant, visitor=visitor)
        last = [ends(await ask(ws, QUESTION)) for _ in range(3 if not visitor else 1)]  # new conversations
        await ws.disconnect()
        return greeting["visitor"], last

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=True):
        token, replies = async_to_sync(day)()
    assert [r["type"] for r in replies] == ["done", "done", "failed"]
    assert replies[2]["code"] == "rate_limited" and replies[2]["answer"] is None
    assert (
        "You have asked 2 questions today, the most allowed here. Come back tomorrow."
        in replies[2]["message"]
    )
    assert len(llm.chats) == 2 and questions_saved() == 2

    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=True):
        _, (reply,) = async_to_sync(day)(token)
    assert reply["type"] == "done"  # a new day, a new allowance


def test_it_limits_questions_per_conversation(refunds: Cast, llm: FakeLLM) -> None:
    assistant = live(refunds.acme, conversation_messages=2)

    async def scenario() -> list[dict]:
        ws, _ = await connected(assistant)
        first = await ask(ws, QUESTION)
        conversation = first[0]["conversation"]
        replies = [ends(first), ends(await ask(ws, QUESTION, conversation))]
        replies.append(ends(await ask(ws, QUESTION, conversation)))
        replies.append(ends(await ask(ws, QUESTION)))  # "New conversation"
        await ws.disconnect()
        return replies

    replies = async_to_sync(scenario)()
    assert [r["type"] for r in replies] == ["done", "done", "failed", "done"]
    assert (
        "This conversation has reached its limit of 2 questions. Start a new conversation"
        in replies[2]["message"]
    )
    assert len(llm.chats) == 3 and questions_saved() == 3


def test_it_limits_questions_per_ip_address_per_minute(refunds: Cast, llm: FakeLLM) -> None:
    assistant = live(refunds.acme, ip_minute_messages=2)

    async def scenario() -> list[dict]:
        replies = []
        for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"):
            ws, _ = await connected(assistant, ip=ip)  # a new visitor each time: the address counts
            replies.append(ends(await ask(ws, QUESTION)))
            await ws.disconnect()
        return replies

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC), tick=True):
        replies = async_to_sync(scenario)()
    assert [r["type"] for r in replies] == ["done", "done", "failed", "done"]
    assert replies[2]["code"] == "rate_limited"
    assert "Too many questions from your network in the last minute." in replies[2]["message"]
    assert len(llm.chats) == 3 and questions_saved() == 3


def test_it_keeps_the_assistant_within_its_monthly_budget(refunds: Cast, llm: FakeLLM) -> None:
    assistant = live(refunds.acme, monthly_tokens=1000)  # less than one question's estimate

    async def scenario() -> dict:
        ws, _ = await connected(assistant)
        reply = ends(await ask(ws, QUESTION))
        await ws.disconnect()
        return reply

    reply = async_to_sync(scenario)()
    assert reply["type"] == "failed" and reply["code"] == "budget" and reply["answer"] is None
    assert reply["message"].startswith("This would exceed the assistant's monthly budget (")
    assert len(llm.chats) == 0 and questions_saved() == 0


def test_it_stops_the_very_next_message_when_the_widget_is_switched_off(refunds: Cast, llm: FakeLLM) -> None:
    assistant = live(refunds.acme)

    async def scenario() -> tuple[dict, dict, dict]:
        ws, _ = await connected(assistant)
        before = ends(await ask(ws, QUESTION))
        await switch_off()
        after = ends(await ask(ws, QUESTION))
        closed = await ws.receive_output(timeout=5)
        return before, after, closed

    from asgiref.sync import sync_to_async

    @sync_to_async
    def switch_off() -> None:
        assistant.widget_enabled = False
        assistant.save(update_fields=["widget_enabled"])

    before, after, closed = async_to_sync(scenario)()
    assert before["type"] == "done"
    assert after["code"] == "forbidden" and after["message"] == "This chat is not available right now."
    assert closed == {"type": "websocket.close", "code": 4403}
    assert len(llm.chats) == 1 and questions_saved() == 1
