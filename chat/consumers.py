"""The staff chat page's door: /ws/t/<tenant_slug>/chat/. It only translates.

TenantConsumer has already checked the membership (and the asgi stack the origin) on connect.
Messages are the composer's fields as JSON (htmx ws-send), with an `action`:
- ask: a question (`message`), in a session (or a new one), optionally restricted to documents,
  with a model, or (for a new session) asked of an assistant.
- regenerate: answer the session's last question again (also "retry" after a failure).
- stop: cancel the answer being generated; what was streamed so far is kept.

Each question becomes a turn (chat/turns.py) asked by a MemberCaller, which checks the member's
access again, from the database, before anything else; each event becomes htmx fragments. A
turn refused because access is gone closes the socket (4403). One answer at a time per socket;
every message gets an answer or an error, and an unreadable one is logged.
"""

import asyncio
import json
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async

from chat import fragments
from chat.callers import MemberCaller
from chat.models import Message
from chat.turns import Ask, Code, Delta, Done, Event, Failed, Regenerate, Request, Started, Turn, drive
from tenants.consumers import CLOSE_FORBIDDEN, TenantConsumer

log = logging.getLogger(__name__)
# The largest message read: a question is at most 4,000 characters; the rest is a few ids.
# (The server closes the socket on frames over 1 MiB before we see them.)
MAX_MESSAGE_CHARS = 64 * 1024
UNEXPECTED = "Something went wrong on our side while answering. Try again."


class Unreadable(ValueError):
    """The message is not one the chat understands; str() says why."""


def text_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unreadable(f"That message could not be read: “{name}” must be text.")
    return value


def text_list(data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    values = [] if value is None else value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise Unreadable(f"That message could not be read: “{name}” must be text or a list of texts.")
    return tuple(values)


def json_object(
    text_data: str | None,
    *,
    too_large: str = "",
    not_object: str = "That message could not be read: expected a JSON object.",
) -> dict[str, Any]:
    """A chat socket's frame as the JSON object it must be (every chat door reads its frames so),
    or Unreadable saying why not: binary, over MAX_MESSAGE_CHARS, not JSON (or nested too deep to
    parse), not an object."""
    if text_data is None:
        raise Unreadable("That message could not be read: send JSON text, not binary data.")
    if len(text_data) > MAX_MESSAGE_CHARS:
        raise Unreadable(
            too_large
            or f"That message is too large ({len(text_data) // 1024:,} KB; the limit is "
            f"{MAX_MESSAGE_CHARS // 1024} KB). Questions are limited to 4,000 characters."
        )
    try:
        data = json.loads(text_data)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
        raise Unreadable("That message could not be read: it is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Unreadable(not_object)
    return data


def parse(text_data: str | None) -> Request | None:
    """The turn a frame asks for (None: stop), or Unreadable."""
    data = json_object(text_data)
    action = text_field(data, "action") or "ask"
    if action == "stop":
        return None
    if action == "regenerate":
        return Regenerate(session=text_field(data, "session"))
    if action == "ask":
        return Ask(
            question=text_field(data, "message"),
            session=text_field(data, "session"),
            documents=text_list(data, "documents"),
            model=text_field(data, "model"),
            assistant=text_field(data, "assistant"),
        )
    raise Unreadable(f"Unknown action {action[:40]!r}.")


class TurnSocket:
    """What every chat socket (the staff chat, the widget, the v1 API) does with its turns: one at a
    time, stopped on request and when the socket closes, the answer then saved as stopped. Mixed in
    before the consumer class; each socket answers (`answer`) in its own protocol."""

    turn: Turn | None = None
    generation: asyncio.Task[None] | None = None
    closing = False

    async def answer(self, turn: Turn) -> None:
        raise NotImplementedError

    def begin(self, turn: Turn) -> None:
        self.turn = turn
        self.generation = asyncio.create_task(self.answer(turn))

    @property
    def busy(self) -> bool:
        return self.generation is not None and not self.generation.done()

    @property
    def open(self) -> bool:
        return not self.closing

    async def stop(self) -> None:
        """Stop the answer being generated and wait until it is saved (as stopped)."""
        task = self.generation
        if task is not None and not task.done() and self.turn is not None:
            self.turn.stop()  # ends the model's request at once
            await asyncio.gather(task, return_exceptions=True)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        await self.stop()
        await super().disconnect(code)  # type: ignore[misc]


class ChatConsumer(TurnSocket, TenantConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        received = time.monotonic()
        try:
            request = parse(text_data)
        except Unreadable as exc:
            log.warning("Unreadable chat message from user %s: %s", self.membership.user_id, exc)
            await self.send(text_data=fragments.alert(str(exc)))
            return
        if request is None:
            await self.stop()
        elif self.busy:
            await self.send(text_data=fragments.alert("Wait for this answer to finish, or stop it, first."))
        else:
            self.begin(Turn(MemberCaller(self.membership, self.session_key), request, received))

    async def answer(self, turn: Turn) -> None:
        state: dict[str, Message] = {}
        try:
            await drive(turn, lambda event: self.render(turn, event, state))
        except Exception:
            log.exception("The chat socket failed while answering")
            if self.open:
                html = fragments.alert(UNEXPECTED) + fragments.composer_actions(streaming=False)
                await self.send(text_data=html)

    async def render(self, turn: Turn, event: Event, state: dict[str, Message]) -> None:
        """One event as htmx fragments. `state` keeps the answer being streamed."""
        tenant = turn.caller.tenant
        if isinstance(event, Delta):
            html = fragments.delta(state["answer"], event.text)
        elif isinstance(event, Started):
            state["answer"] = event.answer
            html = fragments.started(
                tenant, event.session, event.question if event.new_question else None, event.answer,
                new_session=event.new_session, replaced=event.replaced,
            )  # fmt: skip
        elif isinstance(event, Done) or (isinstance(event, Failed) and event.answer is not None):
            html = await sync_to_async(fragments.finished)(
                tenant, event.answer
            )  # its sources' OCR marks query
        elif isinstance(event, Failed):
            html = fragments.alert(event.message)
            if "answer" in state:  # accepted, then not saved: give the Send button back
                html += fragments.composer_actions(streaming=False)
        else:
            return  # Sources: the finished answer shows them
        if self.open:
            await self.send(text_data=html)
        if isinstance(event, Failed) and event.code == Code.FORBIDDEN:
            await self.close(code=CLOSE_FORBIDDEN)
