"""Large request bodies under daphne: no double parsing, and Django gets them in large pieces.

Two costs made a 25 MB upload take well over a second before Django's view even started:
1. Twisted (under daphne) parses every multipart/form-data POST itself, with the email package,
   into `request.args`, which daphne never uses: it reads the whole body into memory and copies
   it several times. `stop_twisted_parsing_forms()` turns that off (Twisted's own
   parsePOSTFormSubmission switch); Django parses the body, streaming, as it always did.
2. daphne passes the body to the application in 8 KiB `http.request` messages, and Django's ASGI
   handler, once the body outgrows FILE_UPLOAD_MAX_MEMORY_SIZE, writes each one to its spooled
   temporary file through a thread hop: about 3,200 hops for 25 MB. `JoinBodyMessages` joins
   consecutive messages into pieces of up to 1 MiB first, so that is a few dozen.
The body still goes to disk as before; at most one piece is held in memory.
"""

from typing import Any

from asgiref.typing import ASGIReceiveCallable

Message = dict[str, Any]
PIECE = 1024 * 1024


class JoinBodyMessages:
    def __init__(self, app: Any, piece: int = PIECE) -> None:
        self.app = app
        self.piece = piece

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceiveCallable, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _Joiner(receive, self.piece), send)


class _Joiner:
    def __init__(self, receive: Any, piece: int) -> None:
        self.receive = receive
        self.piece = piece
        self.held: Message | None = None  # a message that arrived after a partial piece (a disconnect)

    async def __call__(self) -> Message:
        if self.held is not None:
            message, self.held = self.held, None
            return message
        message = await self.receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return message
        parts, size = [message.get("body", b"")], len(message.get("body", b""))
        while size < self.piece:
            following = await self.receive()
            if following["type"] != "http.request":
                self.held = following
                break
            parts.append(following.get("body", b""))
            size += len(parts[-1])
            if not following.get("more_body"):
                return {"type": "http.request", "body": b"".join(parts), "more_body": False}
        return {"type": "http.request", "body": b"".join(parts), "more_body": True}


def stop_twisted_parsing_forms() -> None:
    """Make daphne's requests skip Twisted's in-memory form parsing (idempotent)."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # not running under daphne
        return
    original = WebRequest.__init__
    if getattr(original, "skips_form_parsing", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    __init__.skips_form_parsing = True  # type: ignore[attr-defined]
    WebRequest.__init__ = __init__  # type: ignore[method-assign]
