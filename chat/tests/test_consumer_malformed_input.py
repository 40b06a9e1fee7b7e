"""Every message on the chat socket gets an answer or a clear error, and a bad one is logged.

Malformed frames (not JSON, the wrong shape or types, too large, binary) and questions PostgreSQL
cannot store (a NUL character, an unpaired UTF-16 surrogate) each get a message in the page;
the socket stays usable, and nothing is saved or sent to a model.
"""

import json
import logging

import pytest
from asgiref.sync import async_to_sync

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from chat.tests.ws import FINISHED, communicator, receive_until, signed_in
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)


def is_alert(frame: str) -> bool:
    return 'id="chat-alert"' in frame and "alert-error" in frame


def replies(user, *frames: str | bytes) -> list[str]:
    """Send each frame, and read the reply to each, on one socket; then check it still answers."""
    headers = signed_in(user)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        assert (await ws.connect())[0]
        answers = []
        for frame in frames:
            if isinstance(frame, bytes):
                await ws.send_to(bytes_data=frame)
            else:
                await ws.send_to(text_data=frame)
            answers.append((await receive_until(ws, lambda f: is_alert(f) or bool(FINISHED.search(f))))[-1])
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": "What is the refund policy?"}))
        answers.append((await receive_until(ws))[-1])
        await ws.disconnect()
        return answers

    return async_to_sync(scenario)()


@pytest.fixture(autouse=True)
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


def test_it_refuses_a_question_with_a_nul_character(cast: Cast, llm: FakeLLM, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        first, after = replies(cast.member, json.dumps({"action": "ask", "message": "Refunds?\u0000"}))
    assert "This question contains a NUL character, which cannot be stored." in first
    assert 'data-status="complete"' in after  # the socket still answers
    assert "NUL character" in caplog.text
    assert Message.objects.filter(role=Message.Role.USER).count() == 1 and len(llm.chats) == 1


def test_it_refuses_a_question_with_a_lone_surrogate(cast: Cast, llm: FakeLLM, caplog) -> None:
    frame = '{"action": "ask", "message": "Refunds? \\ud800"}'  # valid JSON, not storable text
    with caplog.at_level(logging.WARNING):
        first, after = replies(cast.member, frame)
    assert "an unpaired UTF-16 surrogate" in first
    assert 'data-status="complete"' in after
    assert "surrogate" in caplog.text
    assert ChatSession.objects.count() == 1 and len(llm.chats) == 1


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("{not json", "it is not valid JSON"),
        ("[" * 20_000 + "]" * 20_000, "it is not valid JSON"),  # nested past the parser's recursion
        ("[1, 2, 3]", "expected a JSON object"),
        ('"a string"', "expected a JSON object"),
        ('{"action": "ask", "message": 42}', "“message” must be text"),
        ('{"action": "ask", "message": "Hi", "documents": [1]}', "“documents” must be text or a list"),
        ('{"action": "ask", "message": "Hi", "session": {"id": 1}}', "“session” must be text"),
        ('{"action": 7}', "“action” must be text"),
        ('{"action": "explode"}', "Unknown action &#x27;explode&#x27;."),
        ('{"action": "ask", "message": "Hi", "session": "\\u0000"}', "This conversation no longer exists."),
        ('{"action": "ask", "message": "Hi", "model": "\\ud800"}', "That model is not available here."),
    ],
)
def test_it_answers_a_malformed_message_with_a_clear_error(
    cast: Cast, llm: FakeLLM, caplog, frame: str, message: str
) -> None:
    with caplog.at_level(logging.INFO):
        first, after = replies(cast.member, frame)
    assert message in first
    assert 'data-status="complete"' in after
    assert caplog.records  # logged
    assert Message.objects.filter(role=Message.Role.USER).count() == 1


def test_it_refuses_a_huge_frame(cast: Cast, llm: FakeLLM, caplog) -> None:
    huge = json.dumps({"action": "ask", "message": "x" * 200_000})
    with caplog.at_level(logging.WARNING):
        first, after = replies(cast.member, huge)
    assert "That message is too large (195 KB; the limit is 64 KB)." in first
    assert 'data-status="complete"' in after
    assert "too large" in caplog.text


def test_it_refuses_a_binary_frame(cast: Cast, llm: FakeLLM) -> None:
    first, after = replies(cast.member, b"\x00\x01binary")
    assert "send JSON text, not binary data" in first
    assert 'data-status="complete"' in after
