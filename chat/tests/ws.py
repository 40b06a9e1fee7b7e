"""Driving the chat socket in tests: a signed-in communicator, and reading frames until done."""

import re
from collections.abc import Callable

from channels.testing import WebsocketCommunicator

from docuchat.asgi import application
from docuchat.testing import SocketHeaders as Headers
from docuchat.testing import socket_headers as signed_in  # noqa: F401  (the tests import it from here)

FINISHED = re.compile(r'data-status="(complete|failed|cancelled)"')


def communicator(headers: Headers, slug: str = "acme") -> WebsocketCommunicator:
    """A socket to /ws/t/<slug>/chat/ through the real ASGI stack (origin check, session auth)."""
    return WebsocketCommunicator(application, f"/ws/t/{slug}/chat/", headers=headers)


async def receive_until(
    ws: WebsocketCommunicator, done: Callable[[str], bool] = FINISHED.search, timeout: float = 10
) -> list[str]:
    """Frames received until one satisfies `done` (that one included)."""
    frames: list[str] = []
    while True:
        frame = await ws.receive_from(timeout=timeout)
        frames.append(frame)
        if done(frame):
            return frames


def streamed_text(frames: list[str]) -> str:
    """The text of the delta fragments, in order (unescaped)."""
    import html

    pieces = re.findall(r'<span hx-swap-oob="beforeend:#body-[^"]+">(.*?)</span>', "".join(frames), re.S)
    return html.unescape("".join(pieces))
