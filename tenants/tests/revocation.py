"""Shared by the revocation tests: an open chat socket, a way to lose the push that closes sockets,
and Django admin's own forms submitted as a browser would."""

import json
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.tests.ws import receive_until
from docuchat.asgi import application
from docuchat.testing import SocketHeaders
from tenants.consumers import CLOSE_FORBIDDEN

QUESTION = {"action": "ask", "message": "What is the refund policy?"}
REFUSED = "You no longer have access to this workspace."
CLOSED = {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


def headers_of(client: Client) -> SocketHeaders:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]


def browser(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask_after(headers: SocketHeaders, revoke: Callable[[], object], slug: str = "acme") -> tuple[str, dict]:
    """Open a chat socket, run `revoke` (synchronous), then ask: (the reply frame, what followed)."""

    async def scenario() -> tuple[str, dict]:
        ws = WebsocketCommunicator(application, f"/ws/t/{slug}/chat/", headers=headers)
        connected, _ = await ws.connect()
        assert connected
        await database_sync_to_async(revoke)()
        await ws.send_to(text_data=json.dumps(QUESTION))
        frames = await receive_until(ws, lambda f: 'id="chat-alert"' in f or "data-status" in f)
        after = await ws.receive_output(timeout=3)
        return frames[-1], after

    return async_to_sync(scenario)()


def closed_by_push(headers: SocketHeaders, revoke: Callable[[], object]) -> dict:
    """Open a chat socket, run `revoke`, and return what the socket receives next (unprompted)."""

    async def scenario() -> dict:
        ws = WebsocketCommunicator(application, "/ws/t/acme/chat/", headers=headers)
        assert (await ws.connect())[0]
        await database_sync_to_async(revoke)()
        return await ws.receive_output(timeout=3)

    return async_to_sync(scenario)()


def still_open(headers: SocketHeaders, revoke: Callable[[], Awaitable[None] | None]) -> bool:
    async def scenario() -> bool:
        ws = WebsocketCommunicator(application, "/ws/t/acme/chat/", headers=headers)
        assert (await ws.connect())[0]
        await database_sync_to_async(revoke)()
        quiet = await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()
        return quiet

    return async_to_sync(scenario)()


class _FormFields(HTMLParser):
    """The fields of the first form with a submit button, as the browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def admin_form(client: Client, url: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.data
