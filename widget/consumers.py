"""The widget's door: /ws/widget/<assistant public id>/?embed=<embed token>. It only translates.

The socket opens only with a valid embed token for this assistant whose origin the assistant
still allows (widget/embedding.py); the ASGI stack has already refused any Origin header that is
not DocuChat's own (the iframe's). No cookie is read or set. Messages are JSON objects:

- {"action": "hello", "visitor": token or "", "conversation": id or ""}: who this is. An unknown
  or missing token gets a new visitor and its token; the reply carries the conversation's
  messages if it is this visitor's (a reload of the host page shows it again).
- {"action": "ask", "message": text, "conversation": id or ""}: a question ("" starts a new
  conversation), answered by a turn asked by a VisitorCaller.
- {"action": "stop"}; {"action": "feedback", "answer": id, "value": "up" | "down" | ""}.

Replies: {"type": "hello" | "started" | "delta" | "done" | "failed" | "error", ...}; see
docs/widget.md. A turn refused because the widget was switched off, or the site removed from its
allowed origins, closes the socket (4403).
"""

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django_ratelimit.core import is_ratelimited

from assistants.models import Assistant
from chat.callers import Code
from chat.consumers import TurnSocket, Unreadable, json_object, text_field
from chat.models import Message
from chat.turns import Ask, Delta, Done, Event, Failed, Started, Turn, drive, in_db_thread
from docuchat.lib.client_ip import scope_client_ip
from widget import embedding, present
from widget.callers import SWITCHED_OFF, VisitorCaller
from widget.models import Visitor

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
NEW_VISITORS_PER_HOUR = "60/h"  # per IP address and assistant: visitors are rows
UNEXPECTED = "Something went wrong on our side while answering. Try again."


def read(text_data: str | None) -> dict[str, Any]:
    return json_object(
        text_data, too_large="That message is too large. Questions are limited to 4,000 characters."
    )


class WidgetConsumer(TurnSocket, AsyncWebsocketConsumer):
    # Nothing is pushed to a widget's socket, so it takes no channel (no advisory lock and queue in
    # the PostgreSQL channel layer per visitor): the turn checks access on every message instead.
    channel_layer_alias = None
    assistant: Assistant
    origin: str
    ip: str
    visitor: Visitor | None = None

    async def connect(self) -> None:
        public_id = str(self.scope["url_route"]["kwargs"]["assistant_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        embed = embedding.read_embed_token(query.get("embed", [""])[0])
        assistant = None
        if embed is not None and embed.assistant == public_id:
            assistant = await in_db_thread(embedding.live_assistant)(public_id, embed.origin)
        if assistant is None or embed is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.assistant, self.origin, self.ip = assistant, embed.origin, scope_client_ip(self.scope)
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        received = time.monotonic()
        try:
            data = read(text_data)
            action = text_field(data, "action") or "ask"
            if action == "stop":
                await self.stop()
            elif action == "hello":
                await self.hello(text_field(data, "visitor"), text_field(data, "conversation"))
            elif action == "feedback":
                await self.feedback(text_field(data, "answer"), text_field(data, "value"))
            elif action == "ask":
                await self.ask(text_field(data, "message"), text_field(data, "conversation"), received)
            else:
                raise Unreadable(f"Unknown action {action[:40]!r}.")
        except Unreadable as exc:
            log.warning("Unreadable widget message for assistant %s: %s", self.assistant.pk, exc)
            await self.send_json({"type": "error", "message": str(exc)})

    async def send_json(self, payload: dict[str, Any]) -> None:
        if self.open:
            await self.send(text_data=json.dumps(payload))

    async def hello(self, token: str, conversation: str) -> None:
        payload = await in_db_thread(self._hello)(token, conversation)
        if payload is None:
            await self.refuse(SWITCHED_OFF)
        else:
            await self.send_json(payload)

    def _hello(self, token: str, conversation: str) -> dict[str, Any] | None:
        assistant = embedding.live_assistant(self.assistant.public_id, self.origin)
        if assistant is None:
            return None
        self.assistant = assistant
        visitor, new_token = Visitor.find(assistant, token), ""
        if visitor is None:
            if self.new_visitors_limited():
                return {"type": "error", "message": "Too many new visitors from your network. Try later."}
            visitor, new_token = Visitor.issue(assistant, self.origin)
        self.visitor = visitor
        found = self.caller().sessions().filter(public_id=present.parse_uuid(conversation)).first()
        return {
            "type": "hello",
            "visitor": new_token or token,
            "conversation": str(found.public_id) if found else "",
            "messages": present.history(assistant, self.origin, found) if found else [],
        }

    def new_visitors_limited(self) -> bool:
        return is_ratelimited(
            None, group=f"widget-visitors-{self.assistant.pk}", key=lambda group, request: self.ip,
            rate=NEW_VISITORS_PER_HOUR, increment=True,
        )  # fmt: skip

    def caller(self) -> VisitorCaller:
        assert self.visitor is not None
        return VisitorCaller(self.visitor, self.assistant, self.origin, self.ip)

    async def feedback(self, answer: str, value: str) -> None:
        if self.visitor is None:
            raise Unreadable("Say hello first.")
        if value not in Message.Feedback.values:
            raise Unreadable("Feedback is “up”, “down” or empty.")
        saved = await in_db_thread(self._feedback)(answer, value)
        if saved is None:
            await self.refuse(SWITCHED_OFF)
        else:
            await self.send_json({"type": "feedback", "answer": answer, "value": value if saved else ""})

    def _feedback(self, answer: str, value: str) -> bool | None:
        caller = self.caller()
        if embedding.live_assistant(self.assistant.public_id, self.origin) is None:
            return None
        key = present.parse_uuid(answer)
        found = Message.objects.filter(
            public_id=key, role=Message.Role.ASSISTANT, session__in=caller.sessions()
        )  # fmt: skip
        return bool(key) and found.update(feedback=value) == 1

    async def ask(self, question: str, conversation: str, received: float) -> None:
        if self.visitor is None:
            raise Unreadable("Say hello first.")
        if self.busy:
            await self.send_json({"type": "error", "message": "Wait for this answer to finish, or stop it."})
            return
        self.begin(Turn(self.caller(), Ask(question=question, session=conversation), received))

    async def answer(self, turn: Turn) -> None:
        try:
            await drive(turn, lambda event: self.render(turn, event))
        except Exception:
            log.exception("The widget socket failed while answering")
            await self.send_json({"type": "failed", "code": Code.ERROR, "message": UNEXPECTED})

    async def render(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Delta):
            await self.send_json({"type": "delta", "text": event.text})
        elif isinstance(event, Started):
            await self.send_json({
                "type": "started",
                "conversation": str(event.session.public_id),
                "question": {"id": str(event.question.public_id), "text": event.question.content},
                "answer": {"id": str(event.answer.public_id)},
            })  # fmt: skip
        elif isinstance(event, Done | Failed):
            await self.finished(turn, event)

    async def finished(self, turn: Turn, event: Done | Failed) -> None:
        caller = turn.caller
        assert isinstance(caller, VisitorCaller)
        answer = await in_db_thread(present.answer)(caller.assistant, self.origin, event.answer)
        if isinstance(event, Done):
            await self.send_json({"type": "done", "answer": answer})
            return
        failed = {"type": "failed", "code": event.code, "message": event.message, "answer": answer}
        await self.send_json(failed)
        if event.code == Code.FORBIDDEN:
            await self.close(code=CLOSE_FORBIDDEN)

    async def refuse(self, message: str) -> None:
        await self.send_json({"type": "failed", "code": Code.FORBIDDEN, "message": message})
        await self.close(code=CLOSE_FORBIDDEN)
