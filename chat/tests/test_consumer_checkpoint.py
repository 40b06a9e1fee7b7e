"""While an answer streams, what it has so far is saved every few seconds (crash-safe, and shown
to a page opened meanwhile), never over the answer's final save."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from chat import service
from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.ws import communicator, receive_until, signed_in, streamed_text
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = [f"word{i} " for i in range(30)]
QUESTION = {"action": "ask", "message": "What is the refund policy?"}


@pytest.fixture(autouse=True)
def handbook(cast: Cast, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    llm.script(Reply(tokens=WORDS, delay=0.04))
    monkeypatch.setattr(service, "CHECKPOINT_SECONDS", 0.2)


@database_sync_to_async
def saved_answer() -> Message:
    return Message.objects.get(role=Message.Role.ASSISTANT)


def ask(cast: Cast, *, leave_midway: bool = False) -> tuple[str, Message]:
    """Ask; when "word15" has streamed, read the answer as saved; then read to the end, or leave.

    Returns the streamed text and the answer as it was saved midway.
    """
    headers = signed_in(cast.member)

    async def scenario() -> tuple[str, Message]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(QUESTION))
        frames = await receive_until(ws, lambda f: "word15 " in f)
        midway = await saved_answer()
        if not leave_midway:
            frames += await receive_until(ws)
        await ws.disconnect()
        return streamed_text(frames), midway

    return async_to_sync(scenario)()


def test_it_saves_the_answer_so_far_while_it_streams(cast: Cast) -> None:
    streamed, midway = ask(cast)

    assert midway.status == Message.Status.STREAMING
    assert midway.content.startswith("word0 word1 word2 ") and len(midway.content.split()) < 30
    assert streamed.startswith(midway.content)
    final = Message.objects.get(role=Message.Role.ASSISTANT)
    assert final.status == Message.Status.COMPLETE and final.content == "".join(WORDS)


def test_it_never_saves_a_checkpoint_over_the_final_answer(cast: Cast) -> None:
    ask(cast)
    answer = Message.objects.get(role=Message.Role.ASSISTANT)

    service.checkpoint(answer.pk, "word0 ")  # a late one, as from a slow database thread

    answer.refresh_from_db()
    assert answer.status == Message.Status.COMPLETE and answer.content == "".join(WORDS)


def test_it_keeps_what_was_saved_when_the_process_dies_mid_answer(cast: Cast) -> None:
    """The recovery sweep marks the orphan failed; its text so far stays, under the error."""
    _, midway = ask(cast, leave_midway=True)
    # As if the process had died there: the answer as the last checkpoint left it, 10 minutes on.
    Message.objects.filter(pk=midway.pk).update(
        status=Message.Status.STREAMING,
        content=midway.content,
        created=midway.created - service.ABANDONED_AFTER,
    )

    assert service.fail_abandoned() == 1  # as the workers' recovery sweep does

    answer = Message.objects.get(pk=midway.pk)
    assert answer.status == Message.Status.FAILED and answer.error == service.INTERRUPTED
    assert answer.content == midway.content != ""
