"""Document progress goes to the whole tenant's group; the tenant's other sockets must shrug it off."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from docuchat.asgi import application
from docuchat.testing import Cast, socket_headers
from documents import live
from documents.tests.conftest import make_document

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_leaves_the_tenants_chat_socket_open(cast: Cast) -> None:
    document = make_document(cast)
    chat = WebsocketCommunicator(application, "/ws/t/acme/chat/", headers=socket_headers(cast.member))

    async def scenario() -> bool:
        assert (await chat.connect())[0]
        await sync_to_async(live.push_state)(document)
        quiet = await chat.receive_nothing(timeout=0.5)
        await chat.disconnect()
        return quiet

    assert async_to_sync(scenario)()  # no crash, no close, nothing sent
