"""The v1 API's streaming chat: WS /ws/chat?token=<token>, the workspace in the X-Tenant-ID header
or the `tenant` query parameter (browsers cannot set headers on a WebSocket). It only translates.

    client: {"message": "...", "session_id": "..."?, "model": "..."?}
    server: {"type": "start", "session_id"}, {"type": "delta", "token"}...,
            {"type": "end", "usage": {...}, "sources": [...]}; or {"type": "error", "message", "code"}

Each message is a turn (chat/turns.py) asked by a TokenCaller: the member's limits, budgets, model
whitelist and conversations, with the token's access asked of the database again at every turn, so
logging out of all sessions, a removed membership or a disabled account refuses the very next
message (and closes the socket, 4403). A bad token is told so and closed (4401); a workspace that
does not exist, or is not the user's, alike (4404). Every frame gets an answer; a client that goes
away stops the answer (and its model request), which is saved as it was.
"""

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.db import DatabaseError

from chat.consumers import MAX_MESSAGE_CHARS, TurnSocket, Unreadable, json_object, text_field
from chat.models import Message, cited_page
from chat.turns import Ask, Code, Delta, Done, Event, Failed, Started, Turn, drive
from legacy import access, tokens
from legacy.callers import TokenCaller
from tenants.consumers import CLOSE_FORBIDDEN, TenantConsumer
from tenants.models import Membership

log = logging.getLogger(__name__)
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
UNEXPECTED = "Something went wrong on our side while answering. Try again."
UNAVAILABLE = "DocuChat is temporarily unavailable. Try again in a moment."


class Refusal(Exception):
    def __init__(self, message: str, code: str, close_code: int) -> None:
        super().__init__(message)
        self.message, self.code, self.close_code = message, code, close_code


def parse(text_data: str | None) -> Ask:
    """The question a frame asks, or Unreadable (the pipeline checks the question itself)."""
    data = json_object(
        text_data,
        too_large=f"That message is too large (the limit is {MAX_MESSAGE_CHARS // 1024} KB). "
        "Questions are limited to 4,000 characters.",
        not_object='That message could not be read: expected a JSON object with a "message".',
    )
    if not isinstance(data.get("message"), str):
        raise Unreadable('That message could not be read: "message" must be text.')
    return Ask(
        question=data["message"],
        session=text_field(data, "session_id"),
        model=text_field(data, "model"),
    )


def _sources(answer: Message) -> list[dict[str, Any]]:
    return [
        {
            "n": s["n"],
            "document": s["document"],
            "title": s["title"],
            "page": cited_page(s),
            "page_end": s["page_end"],
            "snippet": s["snippet"],
        }
        for s in answer.sources or []
    ]


def _usage(answer: Message) -> dict[str, int]:
    prompt, completion = answer.prompt_tokens or 0, answer.completion_tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class V1ChatConsumer(TurnSocket, TenantConsumer):
    """TenantConsumer's groups and pushes (a removed membership or ended sessions close the socket
    at once), with the token in place of the browser session."""

    claims: tokens.Claims

    async def connect(self) -> None:
        try:
            self.claims, self.resolved = await self._authenticate()
        except Refusal as refusal:
            await self.accept()
            await self.send_json({"type": "error", "message": refusal.message, "code": refusal.code})
            await self.close(code=refusal.close_code)
            return
        await super().connect()  # joins the member's groups, then accepts

    async def _membership(self) -> Membership | None:
        return self.resolved

    @property
    def session_key(self) -> str | None:
        return None  # no browser session: the token's generation stands in for it

    @database_sync_to_async
    def _authenticate(self) -> tuple[tokens.Claims, Membership]:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        headers = {name.lower(): value for name, value in self.scope.get("headers", [])}
        try:
            claims = tokens.read((query.get("token") or [""])[0])
        except tokens.InvalidToken as exc:
            raise Refusal(str(exc), "unauthorized", CLOSE_UNAUTHORIZED) from None
        ref = headers.get(b"x-tenant-id", b"").decode("latin-1") or (query.get("tenant") or [""])[0]
        try:
            if access.signed_in_user(claims) is None:
                raise Refusal(access.REVOKED, "unauthorized", CLOSE_UNAUTHORIZED)
            membership = access.current_membership(claims, ref) if ref else None
        except DatabaseError:
            log.warning("A v1 chat socket could not be checked: the database did not answer", exc_info=True)
            raise Refusal(UNAVAILABLE, "unavailable", 1013) from None
        if membership is None:
            message = access.NO_WORKSPACE if ref else access.NAME_WORKSPACE + " (or the tenant parameter)"
            raise Refusal(message, "not_found", CLOSE_NOT_FOUND)
        return claims, membership

    async def still_member(self) -> bool | None:
        try:
            fresh = await database_sync_to_async(access.membership_in)(self.claims, self.membership.tenant_id)
        except DatabaseError:
            return None
        self.checked_at = time.monotonic()
        if fresh is None:
            return False
        self.membership = fresh
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        received = time.monotonic()
        try:
            request = parse(text_data)
        except Unreadable as exc:
            log.warning("Unreadable v1 chat message from user %s: %s", self.membership.user_id, exc)
            await self.send_json({"type": "error", "message": str(exc), "code": "invalid"})
            return
        if self.busy:
            message = "Wait for this answer to finish before sending the next question."
            await self.send_json({"type": "error", "message": message, "code": "busy"})
            return
        self.begin(Turn(TokenCaller(self.membership, self.claims), request, received))

    async def answer(self, turn: Turn) -> None:
        try:
            await drive(turn, self.render)
        except Exception:
            log.exception("The v1 chat socket failed while answering")
            await self.send_json({"type": "error", "message": UNEXPECTED, "code": "error"})

    async def render(self, event: Event) -> None:
        if isinstance(event, Started):
            await self.send_json({"type": "start", "session_id": str(event.session.public_id)})
        elif isinstance(event, Delta):
            await self.send_json({"type": "delta", "token": event.text})
        elif isinstance(event, Done):
            answer = event.answer
            end = {"type": "end", "usage": _usage(answer), "sources": _sources(answer)}
            await self.send_json({**end, "message_id": str(answer.public_id), "status": answer.status})
        elif isinstance(event, Failed):
            await self.send_json({"type": "error", "message": event.message, "code": str(event.code)})
            if event.code == Code.FORBIDDEN:
                await self.close(code=CLOSE_FORBIDDEN)

    async def membership_revoked(self, event: dict[str, Any]) -> None:
        message = "You no longer have access to this workspace."
        await self.send_json({"type": "error", "message": message, "code": "forbidden"})
        await self.close(code=CLOSE_FORBIDDEN)

    async def send_json(self, content: dict[str, Any]) -> None:
        if self.open:
            await self.send(text_data=json.dumps(content))
