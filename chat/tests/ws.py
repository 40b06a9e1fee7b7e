"""Driving the chat socket in tests: a signed-in communicator, and reading frames until done."""

import re
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator
from django.test import Client

from docuchat.asgi import application

FINISHED = re.compile(r'data-status="(complete|failed|cancelled)"')


Headers = list[tuple[bytes, bytes]]


def signed_in(user: Any, origin: str = "http://127.0.0.1") -> Headers:
    """Request headers of `user`'s browser (call from sync code: it writes a session)."""
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


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
