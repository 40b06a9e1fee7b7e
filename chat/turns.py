"""The turn pipeline: one question in, typed events out. Every front door runs its turns here.

    turn = Turn(caller, Ask(question="What is the refund policy?"))
    async for event in turn.events():      # Started, Sources, Delta..., then Done or Failed
        ...render it in the door's protocol...
    turn.stop()                            # from elsewhere (a "stop" message, a disconnect)

1. Open, in one trip to a database thread: the caller's access asked of the database, the
   checks, limits and budget, the question and a 'streaming' answer saved (-> Started, sent as
   soon as it is saved); then, in the same trip, retrieval and the prompt (-> Sources).
2. Stream the answer (-> Delta per piece; under load, per COALESCE_SECONDS of pieces). Every
   CHECKPOINT_SECONDS the text so far is saved, from a thread of its own.
3. Save the answer as it ended and meter the calls to the caller, from that thread (-> Done, or
   Failed).
A refusal in step 1 yields Failed with no answer: nothing was saved, nothing sent to a model.

A door only translates: it never repeats a step. See docs/turns.md.
"""

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.db import DatabaseError, close_old_connections

from chat import service
from chat.callers import Caller, Code, Refused
from chat.generation import GenerationError, stream_answer
from chat.models import ChatSession, Message, Source
from chat.prompt import Prompt
from chat.service import Ask, Outcome, Regenerate, Request
from documents.embeddings import EmbeddingError

__all__ = [
    "Ask", "Code", "Delta", "Done", "Event", "Failed", "Regenerate", "Request", "Sources",
    "Started", "Turn", "drive",
]  # fmt: skip

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on our side while answering. Try again."
UNAVAILABLE = "DocuChat is temporarily unavailable (its database is not answering). Try again in a moment."
# Channels runs database work in one thread shared by every socket of the process; a burst of
# questions would queue there. A few threads of our own (each with its own connection) let turns
# open and save side by side, and bound the connections the chat can hold. Each of them competes
# with the event loop (which streams the answers) for the GIL: with 200 simultaneous chats on two
# cores, 3 gave a p95 gap between pieces of 66 to 75 ms against 93 to 104 ms with 4, and no later
# first pieces (bench/chat_concurrency.py).
DB_THREADS = 3
db_executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="chat-db")
# Under load, a turn's pieces are sent together, at most every COALESCE_SECONDS: with more than
# COALESCE_STREAMS answers streaming in this process, every piece written on its own (a fragment,
# a socket write) costs the event loop that also opens the next questions, and a model at 50
# tokens/s sends a piece every 20 ms. The first piece always goes at once.
COALESCE_STREAMS = 20
COALESCE_SECONDS = 0.05
streaming = 0  # answers streaming in this process now
# Saving answers, as they stream (service.checkpoint) and when they end (service.finish), has a
# thread of its own, so that it never makes a question wait to be opened: in a burst, the first
# answers end while the last questions still wait for the DB_THREADS. One thread, so that an
# answer's last checkpoint is always written before its final save.
saves_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-saves")


def in_db_thread[T](
    fn: Callable[..., T], executor: ThreadPoolExecutor = db_executor
) -> Callable[..., Awaitable[T]]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        # Closed from inside the call: the wrapper's own clean-up runs outside the call's context
        # and, on a pool thread, does not see the connection the call opened.
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(run, thread_sensitive=False, executor=executor)


def elapsed_ms(since: float) -> int:
    return round((time.monotonic() - since) * 1000)


@dataclass(frozen=True)
class Started:
    """The question is accepted and saved, and its answer row exists (status 'streaming')."""

    session: ChatSession
    question: Message
    answer: Message
    new_session: bool  # the conversation was created by this question
    new_question: bool  # False when regenerating: `question` is the one answered again
    replaced: str  # the public id of the answer a regeneration deleted ("" if none)


@dataclass(frozen=True)
class Sources:
    """The numbered sources the answer may cite (empty: the documents do not cover the question)."""

    sources: list[Source]


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    """The answer is saved: status 'complete', or 'cancelled' when it was stopped."""

    answer: Message


@dataclass(frozen=True)
class Failed:
    """Refused before anything was saved (`answer` None), or failed and saved as failed."""

    code: Code
    message: str
    answer: Message | None = None


Event = Started | Sources | Delta | Done | Failed
Opened = tuple[service.Turn, Prompt | None, Code | None, str]


class Turn:
    """One question asked by `caller`, and the answer to it, as a stream of events."""

    def __init__(self, caller: Caller, request: Request, received: float | None = None) -> None:
        self.caller, self.request = caller, request
        self.received = time.monotonic() if received is None else received
        self.stopped = False
        self._task: asyncio.Task[Any] | None = None
        self._active = False  # events() is running
        self._suspended = False  # ...and waits at a yield: the door is handling an event

    def stop(self) -> None:
        """Stop generating: the answer is saved with what it has so far (status 'cancelled').

        If the turn is waiting on the model, that wait is cancelled at once (and the model request
        with it); if the door is busy with an event, the turn stops when asked for the next one.
        """
        self.stopped = True
        if self._active and not self._suspended and self._task is not None and not self._task.done():
            self._task.cancel()

    def absorb_cancel(self) -> None:
        """A cancellation of the task running this turn is a stop: remembered, and not re-raised."""
        self.stopped = True
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()

    async def events(self) -> AsyncIterator[Event]:
        """The turn's events, in order: Started, Sources, Delta..., then Done or Failed; or only
        Failed when it is refused. Closing this iterator early saves the answer as stopped."""
        self._task, self._active = asyncio.current_task(), True
        run = self._run()
        try:
            async for event in run:
                self._suspended = True
                yield event
                self._suspended = False
        finally:
            self._active = False
            await run.aclose()

    async def _run(self) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        started: asyncio.Future[service.Turn] = loop.create_future()
        opening = asyncio.ensure_future(in_db_thread(self._open)(loop, started))
        await self._settled(started, opening)
        if not started.done():
            yield self._refusal(opening)
            return
        turn = started.result()
        outcome, prompt, answer, finished = Outcome(), None, None, False
        try:
            yield Started(
                turn.session, turn.question, turn.answer, turn.new_session, turn.new_question, turn.replaced
            )
            await self._settled(opening)
            turn, prompt, code, error = opening.result()
            if code is not None:
                outcome.status, outcome.error, outcome.code = Message.Status.FAILED, error, code
            elif self.stopped:
                outcome.status = Message.Status.CANCELLED
            else:
                yield Sources(prompt.sources if prompt else [])
                generating = self._generate(turn, prompt, outcome)
                try:
                    async for event in generating:
                        yield event
                finally:
                    await generating.aclose()
            outcome.total_ms = elapsed_ms(turn.received)
            answer = await self._save(turn, outcome, prompt)
            finished = True
        finally:
            if not finished:  # the door closed the events early: save the answer as stopped
                await self._settled(opening)
                turn, prompt = opening.result()[:2]
                if outcome.code is None:
                    outcome.status = Message.Status.CANCELLED
                outcome.total_ms = elapsed_ms(turn.received)
                await self._save(turn, outcome, prompt)
        yield self._final(answer, outcome)

    def _open(self, loop: asyncio.AbstractEventLoop, started: "asyncio.Future[service.Turn]") -> Opened:
        """In a database thread: accept the question, announce it, then retrieve and build the prompt."""
        turn = service.open_turn(self.caller, self.request, self.received)
        loop.call_soon_threadsafe(started.set_result, turn)
        try:
            return turn, service.prepare(turn), None, ""
        except EmbeddingError as exc:
            return turn, None, Code.MODEL, str(exc)
        except DatabaseError:
            log.exception("Preparing chat answer %s failed: database error", turn.answer.public_id)
            return turn, None, Code.UNAVAILABLE, UNAVAILABLE
        except Exception:
            log.exception("Preparing chat answer %s failed", turn.answer.public_id)
            return turn, None, Code.ERROR, UNEXPECTED

    async def _settled(self, *futures: "asyncio.Future[Any]") -> None:
        """Wait for the first of `futures` to finish, never cut short: a stop meanwhile is remembered."""
        while not any(f.done() for f in futures):
            try:
                await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                self.absorb_cancel()

    def _refusal(self, opening: "asyncio.Future[Opened]") -> Failed:
        exc = opening.exception()
        if isinstance(exc, Refused):
            log.log(
                logging.WARNING if exc.code == Code.INVALID else logging.INFO,
                "Chat message from a %s refused (%s): %s", self.caller.kind, exc.code, exc,
            )  # fmt: skip
            return Failed(exc.code, str(exc))
        if isinstance(exc, DatabaseError):
            log.error("Chat message could not be opened: database error", exc_info=exc)
            return Failed(Code.UNAVAILABLE, UNAVAILABLE)
        log.error("Chat message could not be opened", exc_info=exc)
        return Failed(Code.ERROR, UNEXPECTED)

    async def _generate(
        self, turn: service.Turn, prompt: Prompt | None, outcome: Outcome
    ) -> AsyncIterator[Event]:
        """Stream the answer's pieces; every CHECKPOINT_SECONDS, save the text so far meanwhile."""
        assert prompt is not None
        global streaming
        not_covered = service.not_covered_text(turn.assistant)
        pieces = stream_answer(prompt, turn.question.content, turn.answer.model, outcome.usage,
                               not_covered=not_covered)  # fmt: skip
        if streaming >= COALESCE_STREAMS:
            pieces = coalesced(pieces, COALESCE_SECONDS)
        saving: asyncio.Future[None] | None = None
        saved_at = time.monotonic()
        streaming += 1
        try:
            async for piece in pieces:
                outcome.content += piece
                if outcome.first_token_ms is None:
                    outcome.first_token_ms = elapsed_ms(turn.received)
                yield Delta(piece)
                if self.stopped:
                    outcome.status = Message.Status.CANCELLED
                    break
                if time.monotonic() - saved_at >= service.CHECKPOINT_SECONDS and (
                    saving is None or saving.done()
                ):
                    saving = asyncio.ensure_future(
                        in_db_thread(service.checkpoint, saves_executor)(turn.answer.pk, outcome.content)
                    )
                    saved_at = time.monotonic()
        except GenerationError as exc:
            outcome.status, outcome.error, outcome.code = Message.Status.FAILED, str(exc), Code.MODEL
        except asyncio.CancelledError:
            self.absorb_cancel()
            outcome.status = Message.Status.CANCELLED
        except Exception:
            log.exception("Chat answer %s failed", turn.answer.public_id)
            outcome.status, outcome.error, outcome.code = Message.Status.FAILED, UNEXPECTED, Code.ERROR
        finally:
            streaming -= 1
            await self._closed(pieces)
            if saving is not None:  # done before the final save, which it must not follow
                await asyncio.gather(saving, return_exceptions=True)

    async def _closed(self, pieces: AsyncIterator[str]) -> None:
        """End the model's stream (and its request) now, if it stopped early."""
        aclose = getattr(pieces, "aclose", None)
        if aclose is None:
            return
        try:
            await aclose()
        except asyncio.CancelledError:
            self.absorb_cancel()
        except Exception:
            log.warning("Closing a model stream failed", exc_info=True)

    async def _save(self, turn: service.Turn, outcome: Outcome, prompt: Prompt | None) -> Message | None:
        """The final save, never cut short; None (and logged) when the database refused it."""
        saving = asyncio.ensure_future(in_db_thread(service.finish, saves_executor)(turn, outcome, prompt))
        await self._settled(saving)
        if saving.exception() is None:
            return saving.result()
        exc = saving.exception()
        log.error("Saving chat answer %s failed", turn.answer.public_id, exc_info=exc)
        outcome.status, outcome.code = (
            Message.Status.FAILED,
            (Code.UNAVAILABLE if isinstance(exc, DatabaseError) else Code.ERROR),
        )
        outcome.error = UNAVAILABLE if isinstance(exc, DatabaseError) else UNEXPECTED
        return None

    @staticmethod
    def _final(answer: Message | None, outcome: Outcome) -> Event:
        if answer is None:
            return Failed(outcome.code or Code.ERROR, outcome.error or UNEXPECTED)
        if answer.status == Message.Status.FAILED:
            return Failed(outcome.code or Code.ERROR, answer.error, answer)
        return Done(answer)


async def coalesced(pieces: AsyncIterator[str], seconds: float) -> AsyncIterator[str]:
    """`pieces`, joined so that at most one is yielded every `seconds`; the first at once, and none
    held longer than that. The model's errors come through as they are."""
    source = aiter(pieces)
    held: list[str] = []
    sent_at = -seconds
    following: asyncio.Future[str] | None = None  # the next piece, being awaited
    try:
        while True:
            if held:
                wait = sent_at + seconds - time.monotonic()
                if wait > 0:
                    following = following or asyncio.ensure_future(anext(source))
                    await asyncio.wait([following], timeout=wait)
                if not following or not following.done():  # the time is up: send what is held
                    sent_at = time.monotonic()
                    yield "".join(held)
                    held.clear()
                    continue
            try:
                if following is not None:
                    piece, following = await following, None
                else:
                    piece = await anext(source)
            except StopAsyncIteration:
                break
            held.append(piece)
            if time.monotonic() - sent_at >= seconds:
                sent_at = time.monotonic()
                yield "".join(held)
                held.clear()
        if held:
            yield "".join(held)
    finally:
        if following is not None and not following.done():
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


async def drive(turn: Turn, render: Callable[[Event], Awaitable[None]]) -> None:
    """Run `turn`, handing each event to `render`, for doors whose own task may be cancelled: a
    cancellation while rendering stops the turn, which still saves its answer and yields its end."""
    events = turn.events()
    try:
        async for event in events:
            try:
                await render(event)
            except asyncio.CancelledError:
                turn.absorb_cancel()
    finally:
        await events.aclose()
