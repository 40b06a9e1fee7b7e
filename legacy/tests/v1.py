"""Driving the v1 API in tests: tokens, headers, and the /ws/chat socket through the real ASGI stack."""

import json
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator
from django.test import Client

from docuchat.asgi import application
from legacy import tokens

Frame = dict[str, Any]


def token_for(user: Any) -> str:
    return tokens.issue(user)


def api(user: Any = None, tenant: str | None = "acme", token: str | None = None) -> Client:
    """A test client that sends `user`'s bearer token (or `token`) and names `tenant`."""
    headers: dict[str, str] = {}
    if token is None and user is not None:
        token = token_for(user)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if tenant is not None:
        headers["X-Tenant-ID"] = tenant
    return Client(headers=headers)


def socket(token: str, tenant: str | None = "acme", *, header: str | None = None) -> WebsocketCommunicator:
    """/ws/chat with the token, the workspace as the `tenant` parameter or (`header`) X-Tenant-ID."""
    query = f"token={token}" + (f"&tenant={tenant}" if tenant is not None else "")
    headers = [(b"host", b"127.0.0.1")]
    if header is not None:
        headers.append((b"x-tenant-id", header.encode()))
    return WebsocketCommunicator(application, f"/ws/chat?{query}", headers=headers)


def ends(frame: Frame) -> bool:
    return frame["type"] in ("end", "error")


async def frames_until(
    ws: WebsocketCommunicator, done: Callable[[Frame], bool] = ends, timeout: float = 10
) -> list[Frame]:
    frames: list[Frame] = []
    while True:
        frames.append(json.loads(await ws.receive_from(timeout=timeout)))
        if done(frames[-1]):
            return frames


async def ask(ws: WebsocketCommunicator, message: str, **fields: Any) -> list[Frame]:
    await ws.send_to(text_data=json.dumps({"message": message, **fields}))
    return await frames_until(ws)


async def closed_with(ws: WebsocketCommunicator, timeout: float = 5) -> int:
    """The close code the server sent next (skipping nothing: the next output must be the close)."""
    output = await ws.receive_output(timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code", 1000)
