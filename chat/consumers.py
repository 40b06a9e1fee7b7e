"""The chat socket: /ws/t/<tenant_slug>/chat/.

TenantConsumer has already checked the membership (and the asgi stack the origin) on connect.
Messages are the composer's fields as JSON (htmx ws-send), with an `action`:
- ask: a question, in a session (or a new one), optionally restricted to documents or a model.
- regenerate: answer the session's last question again (also "retry" after a failure).
- stop: cancel the answer being generated; what was streamed so far is kept.

The answer streams from a task, so that "stop" is read while it runs. Tokens go straight to this
socket (no channel-layer hop per token); one answer at a time per socket. If the socket closes
mid-stream the task is cancelled, the model request with it, and the partial answer saved.
"""

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import close_old_connections

from chat import fragments, service
from chat.generation import GenerationError, stream_answer
from chat.models import Message
from chat.prompt import Prompt
from documents.embeddings import EmbeddingError
from tenants.consumers import TenantConsumer

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on our side while answering. Try again."
# Channels runs database work in one thread shared by every socket of the process; a burst of
# questions would queue there. A few threads of our own (each with its own connection) let turns
# open and save side by side, and bound the connections the chat can hold. Each of them competes
# with the event loop (which streams the answers) for the GIL: with 200 simultaneous chats on two
# cores, 3 gave a p95 gap between pieces of 66 to 75 ms against 93 to 104 ms with 4, and no later
# first pieces (bench/chat_concurrency.py).
DB_THREADS = 3
db_executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="chat-db")
# Saving the text of streaming answers so far (service.checkpoint) has a thread of its own, so
# that it never makes a question wait to be opened.
checkpoint_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-checkpoint")


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


class ChatConsumer(TenantConsumer):
    generation: asyncio.Task[None] | None = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        received = time.monotonic()
        try:
            data = json.loads(text_data or "")
            action = str(data.get("action") or "ask")
        except (ValueError, AttributeError):
            await self.send(text_data=fragments.alert("That message could not be read."))
            return
        if action == "stop":
            await self.stop()
        elif action in ("ask", "regenerate"):
            await self.start(action, data, received)
        else:
            await self.send(text_data=fragments.alert(f"Unknown action {action[:40]!r}."))

    @property
    def busy(self) -> bool:
        return self.generation is not None and not self.generation.done()

    async def start(self, action: str, data: dict[str, Any], received: float) -> None:
        if self.busy:
            await self.send(text_data=fragments.alert("Wait for this answer to finish, or stop it, first."))
            return
        self.generation = asyncio.create_task(self.answer(action, data, received))

    async def answer(self, action: str, data: dict[str, Any], received: float) -> None:
        """Open the turn, stream the answer to the socket, then save it however it ended."""
        opening = asyncio.ensure_future(in_db_thread(self.open_turn)(action, data, received))
        try:
            turn, prompt, error, stopped = await self.opened(opening)
        except service.Refused as exc:
            if self.open:
                await self.send(text_data=fragments.alert(str(exc)))
            return
        outcome = service.Outcome()
        if error or stopped:
            outcome.status, outcome.error = (
                (Message.Status.FAILED, error) if error else (Message.Status.CANCELLED, "")
            )
        else:
            await self.generate(turn, prompt, outcome)
        outcome.total_ms = elapsed_ms(turn.received)
        html = await in_db_thread(self.save)(turn, outcome, prompt)
        if self.open:
            await self.send(text_data=html)

    @staticmethod
    async def opened(opening: "asyncio.Future[tuple[service.Turn, Prompt | None, str]]") -> tuple:
        """The opened turn, and whether a stop came meanwhile (the opening is never cut in half)."""
        try:
            return (*await asyncio.shield(opening), False)
        except asyncio.CancelledError:
            return (*await opening, True)

    def open_turn(
        self, action: str, data: dict[str, Any], received: float
    ) -> tuple[service.Turn, Prompt | None, str]:
        """In one trip to the database thread: accept the question, show it, retrieve, build the prompt.

        Returns (turn, prompt, error); raises Refused when the question is not accepted at all.
        """
        start = service.start_ask if action == "ask" else service.start_regenerate
        turn = start(self.membership, data, received)
        html = fragments.started(
            turn.tenant,
            turn.session,
            turn.question if action == "ask" else None,
            turn.answer,
            new_session=turn.new_session,
            replaced=turn.replaced,
        )
        if self.open:
            async_to_sync(self.send)(text_data=html)
        try:
            return turn, service.prepare(turn), ""
        except EmbeddingError as exc:
            return turn, None, str(exc)
        except Exception:
            log.exception("Preparing chat answer %s failed", turn.answer.public_id)
            return turn, None, UNEXPECTED

    async def generate(self, turn: service.Turn, prompt: Prompt | None, outcome: service.Outcome) -> None:
        try:
            await self.stream(turn, prompt, outcome)
        except GenerationError as exc:
            outcome.status, outcome.error = Message.Status.FAILED, str(exc)
        except asyncio.CancelledError:
            outcome.status = Message.Status.CANCELLED
        except Exception:
            log.exception("Chat answer %s failed", turn.answer.public_id)
            outcome.status, outcome.error = Message.Status.FAILED, UNEXPECTED

    async def stream(self, turn: service.Turn, prompt: Prompt, outcome: service.Outcome) -> None:
        """Send each piece as it comes; every CHECKPOINT_SECONDS, save the text so far meanwhile."""
        pieces = stream_answer(prompt, turn.question.content, turn.answer.model, outcome.usage)
        saving: asyncio.Future[None] | None = None
        saved_at = time.monotonic()
        try:
            async for piece in pieces:
                outcome.content += piece
                await self.send(text_data=fragments.delta(turn.answer, piece))
                if outcome.first_token_ms is None:
                    outcome.first_token_ms = elapsed_ms(turn.received)
                if time.monotonic() - saved_at >= service.CHECKPOINT_SECONDS and (
                    saving is None or saving.done()
                ):
                    saving = asyncio.ensure_future(
                        in_db_thread(service.checkpoint, checkpoint_executor)(turn.answer.pk, outcome.content)
                    )
                    saved_at = time.monotonic()
        finally:
            if saving is not None:  # done before the final save, which it must not follow
                await asyncio.gather(saving, return_exceptions=True)

    def save(self, turn: service.Turn, outcome: service.Outcome, prompt: Prompt | None) -> str:
        answer = service.finish(turn, outcome, prompt)
        return fragments.finished(turn.tenant, answer)

    @property
    def open(self) -> bool:
        return not getattr(self, "closing", False)

    async def stop(self) -> None:
        """Cancel the answer being generated and wait until it is saved (as stopped)."""
        task = self.generation
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        await self.stop()
        await super().disconnect(code)
