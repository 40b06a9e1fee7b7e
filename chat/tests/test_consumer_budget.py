"""Budgets are enforced before any model call on the chat path (see usage/quotas.py)."""

import json

import pytest
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.ws import FINISHED, communicator, receive_until, signed_in
from docuchat.testing import Cast
from usage.models import Meter, Quota, UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = ["Refund policy: customers may return any product within 30 days for a full refund."]


def ask(user, message: str) -> list[str]:
    headers = signed_in(user)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        connected, _ = await ws.connect()
        assert connected
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": message}))
        frames = await receive_until(ws, lambda f: bool(FINISHED.search(f)) or "budget" in f)
        await ws.disconnect()
        return frames

    return async_to_sync(scenario)()


def test_it_refuses_a_question_over_the_monthly_budget_before_calling_any_model(
    cast: Cast, llm: FakeLLM
) -> None:
    make_document(cast.acme, "Handbook", PAGES)
    Quota.objects.create(tenant=cast.acme, monthly_tokens=5000)  # less than one question's context budget

    frames = ask(cast.member, "What is the refund policy?")

    assert "This would exceed the workspace&#x27;s monthly budget (5,000 tokens)" in frames[-1]
    assert "It resets on" in frames[-1]
    assert llm.chats == [] and not Message.objects.exists()
    assert not UsageRecord.objects.filter(kind__in=["chat", "query_embedding"]).exists()


def test_it_refuses_a_member_over_their_daily_budget_but_not_a_colleague(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", PAGES)
    Quota.objects.create(tenant=cast.acme, member_daily_tokens=5000)
    assert "daily budget per member" in ask(cast.member, "Refunds?")[-1]
    Quota.objects.filter(tenant=cast.acme).update(member_daily_tokens=50_000)
    llm.script(Reply(tokens=["Thirty ", "days."], usage=(900, 2)))
    assert 'data-status="complete"' in ask(cast.owner, "Refunds?")[-1]


def test_it_releases_the_reservation_once_the_answer_is_metered(cast: Cast, llm: FakeLLM, settings) -> None:
    make_document(cast.acme, "Handbook", PAGES)
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1_000_000)
    llm.script(Reply(tokens=["Thirty ", "days."], usage=(900, 2)))

    assert 'data-status="complete"' in ask(cast.member, "What is the refund policy?")[-1]

    meter = Meter.objects.get(tenant=cast.acme, scope="month")
    recorded = sum(r.total_tokens for r in UsageRecord.objects.filter(tenant=cast.acme))
    assert meter.tokens_reserved == 0 and meter.tokens_used == recorded > 902
    assert llm.chats[0].body["max_tokens"] == settings.CHAT_MAX_COMPLETION_TOKENS
