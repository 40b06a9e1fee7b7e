"""The v1 chat socket's route. /ws/chat authenticates with its token (a query parameter), not a
cookie, so it sits outside the session and Origin checks that guard the cookie-authenticated
sockets: a page on another site cannot use a visitor's cookies on it, and the original backend's
browser clients, served from their own origins, keep connecting."""

from typing import Any

from legacy.consumers import V1ChatConsumer

PATHS = ("/ws/chat", "/ws/chat/")


class WithV1Chat:
    """An ASGI app that sends /ws/chat to the v1 consumer, and every other socket to `app`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.v1_chat = V1ChatConsumer.as_asgi()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        app = self.v1_chat if scope.get("path") in PATHS else self.app
        await app(scope, receive, send)
