"""A socket to an address no route serves is refused at the handshake, not a server error: the
URL router raised ValueError ("No route found"), logged as an exception and answered 500."""

import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from chat.tests.ws import communicator, signed_in
from docuchat.asgi import application
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)
HOST = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/t/\x00/chat/", "/ws/t/acme/chat/extra/", "/", "/ws/"])
def test_it_refuses_a_socket_to_an_unknown_address(path: str, caplog) -> None:
    async def scenario() -> bool:
        ws = WebsocketCommunicator(application, path, headers=HOST)
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    with caplog.at_level(logging.ERROR):
        assert async_to_sync(scenario)() is False
    assert "No route found" not in caplog.text


def test_it_still_refuses_another_workspaces_socket(cast: Cast) -> None:
    headers = signed_in(cast.member)

    async def scenario() -> tuple[bool, int | None]:
        ws = communicator(headers, slug="globex")
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)
