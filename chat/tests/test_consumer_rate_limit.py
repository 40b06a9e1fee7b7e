import json
from datetime import UTC, datetime

import pytest
import time_machine
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from chat.tests.ws import FINISHED, communicator, receive_until, signed_in
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)


def ask_times(user, count: int) -> list[str]:
    """Ask `count` questions on one socket; the last frame of each reply (answer end or alert)."""
    headers = signed_in(user)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        last = []
        for i in range(count):
            await ws.send_to(text_data=json.dumps({"action": "ask", "message": f"Refund policy? ({i})"}))
            frames = await receive_until(ws, lambda f: bool(FINISHED.search(f)) or "alert-error" in f)
            last.append(frames[-1])
        await ws.disconnect()
        return last

    return async_to_sync(scenario)()


def test_it_refuses_messages_over_the_rate_limit_without_calling_the_model(
    cast: Cast, llm: FakeLLM, settings
) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=True):
        replies = ask_times(cast.member, 3)
    assert 'data-status="complete"' in replies[0] and 'data-status="complete"' in replies[1]
    assert "You have sent 2 messages in the last minute, the most allowed." in replies[2]
    assert len(llm.chats) == 2  # nothing went to the model
    assert Message.objects.filter(role=Message.Role.USER).count() == 2  # nor was it saved

    with time_machine.travel(datetime(2026, 3, 2, 9, 1, 5, tzinfo=UTC), tick=True):
        (reply,) = ask_times(cast.member, 1)
    assert 'data-status="complete"' in reply  # a new minute, a new allowance


def test_it_counts_per_person(cast: Cast, llm: FakeLLM, settings) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 1
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=True):
        assert 'data-status="complete"' in ask_times(cast.member, 1)[0]
        assert 'data-status="complete"' in ask_times(cast.owner, 1)[0]
        assert "the most allowed" in ask_times(cast.member, 1)[0]
