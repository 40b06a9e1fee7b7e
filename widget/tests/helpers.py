"""Driving the widget in tests: a live assistant, its socket through the real ASGI stack."""

import json
from collections.abc import Iterable
from typing import Any

from channels.testing import WebsocketCommunicator

from assistants.models import Assistant
from docuchat.asgi import application
from tenants.models import Tenant
from widget.embedding import embed_token

SITE = "https://shop.example"
# The iframe's own origin: DocuChat's, which the ASGI stack's origin check (ALLOWED_HOSTS) accepts.
FRAME_ORIGIN = b"http://127.0.0.1"


def live(tenant: Tenant, origins: Iterable[str] = (SITE,), **fields: Any) -> Assistant:
    """The workspace's default assistant with its widget switched on for `origins`."""
    assistant = Assistant.objects.get(tenant=tenant, is_default=True)
    for name, value in {"allowed_origins": list(origins), "widget_enabled": True, **fields}.items():
        setattr(assistant, name, value)
    assistant.save()
    return assistant


def socket(
    assistant: Assistant,
    origin: str = SITE,
    *,
    token: str | None = None,
    frame_origin: bytes = FRAME_ORIGIN,
    ip: str = "203.0.113.7",
) -> WebsocketCommunicator:
    token = embed_token(assistant, origin) if token is None else token
    path = f"/ws/widget/{assistant.public_id}/?embed={token}"
    headers = [(b"origin", frame_origin), (b"host", b"127.0.0.1")]
    ws = WebsocketCommunicator(application, path, headers=headers)
    ws.scope["client"] = (ip, 50000)  # read by the application once the test first awaits it
    return ws


async def hello(ws: WebsocketCommunicator, visitor: str = "", conversation: str = "") -> dict[str, Any]:
    await ws.send_to(
        text_data=json.dumps({"action": "hello", "visitor": visitor, "conversation": conversation})
    )
    return json.loads(await ws.receive_from(timeout=10))


async def ask(ws: WebsocketCommunicator, question: str, conversation: str = "") -> list[dict[str, Any]]:
    """The replies to one question, until it is done, failed or refused."""
    await ws.send_to(
        text_data=json.dumps({"action": "ask", "message": question, "conversation": conversation})
    )
    replies = []
    while True:
        reply = json.loads(await ws.receive_from(timeout=10))
        replies.append(reply)
        if reply["type"] in ("done", "failed", "error"):
            return replies


async def connected(
    assistant: Assistant, origin: str = SITE, visitor: str = "", ip: str = "203.0.113.7"
) -> tuple[Any, dict[str, Any]]:
    ws = socket(assistant, origin, ip=ip)
    ok, _ = await ws.connect()
    assert ok
    return ws, await hello(ws, visitor)
