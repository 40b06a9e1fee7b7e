"""Request-body limits per route, enforced before Django reads a byte of the body.

Django's ASGI handler reads a request's whole body (into memory, then a temporary file) before any
view or upload handler sees it, and the server may buffer it before that. So a 1,000 MB POST to
`/login/` was read whole before anything refused it. `BodyLimit` sits in front of Django:

1. A route allows MAX_REQUEST_BODY_KB unless its view says otherwise with `@allows_body(limit)`
   (the upload: MAX_UPLOAD_REQUEST_MB). The path is resolved only for requests that have a body.
2. A declared Content-Length over the limit is answered 413 at once; the body is never read.
3. Otherwise the body is counted as it streams in. Past the limit, Django is told the client
   went away (so it stops reading and discards what it spooled), and the client gets 413.

The server reads the body only as the application asks for it (uvicorn pauses the socket), so a
refused body costs one piece of memory, not its size.

A query string with more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS is refused here too (400):
Django raises TooManyFieldsSent whenever anything reads `request.GET`, and its DEBUG error page
reads it again while reporting that, so such an address was a 500 on every route (and, with DEBUG
on, about a minute of CPU pretty-printing the parameters first).
"""

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve

Scope = dict[str, Any]
Message = dict[str, Any]
Limit = Callable[[], int]

KB = 1024
MB = 1024 * 1024


def default_limit() -> int:
    return settings.MAX_REQUEST_BODY_KB * KB


def upload_limit() -> int:
    return settings.MAX_UPLOAD_REQUEST_MB * MB


def allows_body(limit: Limit) -> Callable[[Callable], Callable]:
    """Mark a view as accepting bodies up to `limit()` bytes (read from settings per request)."""

    def mark(view: Callable) -> Callable:
        view.max_body_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


def route_limit(path: str) -> int:
    try:
        match = resolve(path)
    except Resolver404:
        return default_limit()
    limit = getattr(match.func, "max_body_bytes", None)
    return limit() if limit else default_limit()


def too_many_query_fields(scope: Scope) -> bool:
    """Django's own count (parse_qsl's max_num_fields): one more field than there are `&`."""
    most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return most is not None and scope.get("query_string", b"").count(b"&") >= most


def too_many_fields_message() -> str:
    most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return f"This address has more than {most:,} query parameters, more than any page or API route reads."


# What Django raises for a body within the limits that it still cannot parse (a multipart body
# without its boundary, headers over its limit, too many fields or files): the client's mistake,
# which each API answers 400 with UNREADABLE_BODY, never 500.
UNREADABLE_BODY_ERRORS = (MultiPartParserError, SuspiciousOperation, BadRequest)
UNREADABLE_BODY = (
    "The request body could not be read: a multipart/form-data body needs its boundary, headers "
    "of at most a few KB (a short file name) and at most 1,000 fields."
)


def too_large_message(limit: int) -> str:
    size = f"{limit / MB:g} MB" if limit >= MB else f"{limit / KB:g} KB"
    return f"This request is larger than the {size} this address accepts."


class BodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and too_many_query_fields(scope):
            await _refuse(send, scope["path"], 400, too_many_fields_message())
            return
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        limit = route_limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, scope["path"], 413, too_large_message(limit))
            return
        guard = _Guard(receive, send, limit)
        await self.app(scope, guard.receive, guard.send)
        if guard.exceeded and not guard.started:
            await _refuse(send, scope["path"], 413, too_large_message(limit))


class _Guard:
    def __init__(self, receive: Callable, send: Callable, limit: int) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.received = 0
        self.exceeded = self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        self.started = True
        await self._send(message)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _has_body(scope: Scope) -> bool:
    headers = _headers(scope)
    return b"transfer-encoding" in headers or _content_length(scope) not in (None, 0)


def _content_length(scope: Scope) -> int | None:
    raw = _headers(scope).get(b"content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


async def _refuse(send: Callable, path: str, status: int, message: str) -> None:
    # The API answers every error as JSON (api/errors.py), this one too; the v1 API adds `detail`.
    code = "too_large" if status == 413 else "bad_request" if path.startswith("/api/") else "invalid"
    api = path.startswith(("/api/", "/v1/"))
    fields = {"code": code, "message": message, **({"detail": message} if path.startswith("/v1/") else {})}
    body = json.dumps(fields).encode() if api else message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json" if api else b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
