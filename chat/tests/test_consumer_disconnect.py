import json
import time

import pytest
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.ws import communicator, receive_until, signed_in, streamed_text
from docuchat.testing import Cast
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = Reply(tokens=[f"word{i} " for i in range(40)], delay=0.05)
QUESTION = {"action": "ask", "message": "What is the refund policy?"}


def is_delta(frame: str) -> bool:
    return frame.startswith('<span hx-swap-oob="beforeend:#body-')


@pytest.fixture(autouse=True)
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    llm.script(SLOW)


def wait_for(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_it_cancels_the_generation_and_keeps_the_partial_answer_when_the_client_leaves(
    cast: Cast, llm: FakeLLM
) -> None:
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(QUESTION))
        frames = await receive_until(ws, lambda f: streamed_text([f]) == "word2 ")
        await ws.disconnect()  # returns once the consumer has finished
        return frames

    frames = async_to_sync(scenario)()

    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.CANCELLED
    assert answer.content.startswith(streamed_text(frames))  # what was streamed is saved
    assert 0 < len(answer.content.split()) < 40
    wait_for(lambda: llm.chats[0].aborted)  # the model request itself was dropped
    assert not llm.chats[0].completed
    usage = UsageRecord.objects.get(kind=UsageRecord.Kind.CHAT)
    assert usage.message == answer and usage.completion_tokens > 0


def test_it_stops_on_request_and_shows_the_partial_answer(cast: Cast, llm: FakeLLM) -> None:
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(QUESTION))
        frames = await receive_until(ws, is_delta)
        await ws.send_to(text_data=json.dumps({"action": "stop"}))
        frames += await receive_until(ws)
        assert await ws.receive_nothing(0.3)  # nothing streams after the stop
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert 'data-status="cancelled"' in frames[-1] and "Stopped before the end." in frames[-1]
    assert '<button type="submit" class="btn btn-primary">Send</button>' in frames[-1]
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.CANCELLED and answer.content
    assert f"<p>{answer.content.strip()}</p>" in frames[-1]
    wait_for(lambda: llm.chats[0].aborted)


def test_it_refuses_a_second_question_while_answering(cast: Cast, llm: FakeLLM) -> None:
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(QUESTION))
        await receive_until(ws, is_delta)
        await ws.send_to(text_data=json.dumps({**QUESTION, "message": "And shipping?"}))
        frames = await receive_until(ws, lambda f: 'id="chat-alert"' in f)
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert "Wait for this answer to finish, or stop it, first." in frames[-1]
    assert Message.objects.filter(role=Message.Role.USER).count() == 1


def test_it_stops_cleanly_while_the_question_is_still_being_looked_up(cast: Cast, llm: FakeLLM) -> None:
    llm.embedding_delay = 0.3
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(QUESTION))
        frames = [await ws.receive_from(timeout=5)]  # the question is shown; retrieval is under way
        await ws.send_to(text_data=json.dumps({"action": "stop"}))
        frames += await receive_until(ws)
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert "What is the refund policy?" in frames[0]
    assert 'data-status="cancelled"' in frames[-1]
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.CANCELLED
    assert llm.chats == []  # the model was never asked
