"""Hand Django an HTTP request body in large pieces instead of daphne's 8 KiB messages.

daphne passes a request body to the application in 8 KiB `http.request` messages, and Django's
ASGI handler, once the body outgrows FILE_UPLOAD_MAX_MEMORY_SIZE, writes each message to its
spooled temporary file through a thread hop: about 3,200 hops for a 25 MB upload, well over a
second. Joining consecutive messages into pieces of up to 1 MiB first makes that a few dozen.
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
