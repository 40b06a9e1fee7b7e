"""Under load, a turn sends its pieces together, at most every COALESCE_SECONDS (chat/turns.py)."""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from asgiref.sync import async_to_sync

from chat import turns
from chat.generation import GenerationError
from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.test_turn_events import events_of, member_caller
from chat.turns import Ask, Delta, Done, Turn, coalesced
from docuchat.testing import Cast


@pytest.fixture
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


async def timed(pieces: list[tuple[float, str]], fail: Exception | None = None) -> AsyncIterator[str]:
    """Each text after its pause in seconds; then `fail`, if given."""
    for pause, text in pieces:
        await asyncio.sleep(pause)
        yield text
    if fail is not None:
        raise fail


def received(pieces: AsyncIterator[str]) -> list[tuple[float, str]]:
    """(seconds since the start, text) of what `pieces` yields."""

    async def scenario() -> list[tuple[float, str]]:
        start, seen = time.monotonic(), []
        async for text in pieces:
            seen.append((time.monotonic() - start, text))
        return seen

    return async_to_sync(scenario)()


def test_it_joins_pieces_that_come_faster_than_the_window() -> None:
    seen = received(coalesced(timed([(0.0, "a")] + [(0.01, f"{n} ") for n in range(20)]), 0.05))

    assert "".join(text for _, text in seen) == "a" + "".join(f"{n} " for n in range(20))
    assert seen[0] == (pytest.approx(0, abs=0.03), "a")  # the first piece at once
    assert 3 <= len(seen) <= 8  # about 0.2 s of pieces, in 0.05 s windows
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(seen)]
    assert min(gaps[:-1]) >= 0.045


def test_it_holds_no_piece_longer_than_the_window_when_the_model_pauses() -> None:
    seen = received(coalesced(timed([(0.0, "a"), (0.01, "b"), (0.5, "c")]), 0.05))

    assert [text for _, text in seen] == ["a", "b", "c"]
    assert seen[1][0] == pytest.approx(0.05, abs=0.04)  # not held until "c", half a second later


def test_it_passes_the_models_error_through_after_what_came_before() -> None:
    async def scenario() -> tuple[list[str], Exception | None]:
        seen: list[str] = []
        try:
            async for text in coalesced(timed([(0.0, "a"), (0.01, "b")], GenerationError("down")), 0.05):
                seen.append(text)
        except GenerationError as exc:
            return seen, exc
        return seen, None

    seen, error = async_to_sync(scenario)()

    assert seen[0] == "a" and str(error) == "down"


def test_it_closes_the_models_stream_when_closed_early() -> None:
    closed = []

    async def model() -> AsyncIterator[str]:
        try:
            for n in range(100):
                await asyncio.sleep(0.01)
                yield str(n)
        finally:
            closed.append(True)

    async def scenario() -> None:
        pieces = coalesced(model(), 0.05)
        async for _ in pieces:
            break
        await pieces.aclose()

    async_to_sync(scenario)()

    assert closed == [True]


@pytest.mark.django_db(transaction=True)
def test_it_streams_a_turn_in_fewer_pieces_under_load(
    cast: Cast, llm: FakeLLM, handbook: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(turns, "COALESCE_STREAMS", 0)  # as if many answers were streaming
    tokens = [f"word{n} " for n in range(30)]
    llm.script(Reply(tokens=tokens, delay=0.01))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")))

    deltas = [e.text for e in events if isinstance(e, Delta)]
    assert "".join(deltas) == "".join(tokens) and len(deltas) < len(tokens) // 2
    assert isinstance(events[-1], Done) and events[-1].answer.content == "".join(tokens)
    assert events[-1].answer.status == Message.Status.COMPLETE
    assert turns.streaming == 0


@pytest.mark.django_db(transaction=True)
def test_it_streams_every_piece_on_its_own_when_few_answers_stream(
    cast: Cast, llm: FakeLLM, handbook: None
) -> None:
    tokens = [f"word{n} " for n in range(10)]
    llm.script(Reply(tokens=tokens, delay=0.005))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")))

    assert [e.text for e in events if isinstance(e, Delta)] == tokens


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_coalesced_turn_and_keeps_what_it_streamed(
    cast: Cast, llm: FakeLLM, handbook: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(turns, "COALESCE_STREAMS", 0)
    llm.script(Reply(tokens=[f"word{n} " for n in range(200)], delay=0.01))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")), 2)

    done = events[-1]
    assert isinstance(done, Done) and done.answer.status == Message.Status.CANCELLED
    assert done.answer.content == "".join(e.text for e in events if isinstance(e, Delta))
    assert turns.streaming == 0
