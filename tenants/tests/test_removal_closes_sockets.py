"""A removed member loses their open WebSocket connections at once, not only their HTTP access.

Sockets go through the real stack (session cookie, AuthMiddlewareStack, TenantConsumer): a
bare TenantConsumer subclass, and the chat socket itself.
"""

from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from docuchat.asgi import application
from docuchat.testing import Cast, socket_headers
from tenants import team
from tenants.consumers import CLOSE_FORBIDDEN, TenantConsumer
from tenants.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)
CLOSED = {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


class Probe(TenantConsumer):
    """The smallest tenant socket: whatever it is sent, it answers with its membership's role."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(text_data=self.membership.role)


probe_app = AuthMiddlewareStack(URLRouter([path("ws/t/<slug:tenant_slug>/probe/", Probe.as_asgi())]))


def probe(user: object, slug: str = "acme") -> WebsocketCommunicator:
    return WebsocketCommunicator(probe_app, f"/ws/t/{slug}/probe/", headers=socket_headers(user))


def chat(user: object, slug: str = "acme") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/t/{slug}/chat/", headers=socket_headers(user))


def remove(cast: Cast, user: object) -> Callable[[], Awaitable[None]]:
    def run() -> None:
        owner = Membership.objects.select_related("tenant", "user").get(tenant=cast.acme, user=cast.owner)
        target = Membership.objects.select_related("tenant", "user").get(tenant=cast.acme, user=user)
        team.remove_member(owner, target)

    return database_sync_to_async(run)


def test_it_closes_a_removed_members_open_socket_and_no_one_elses(cast: Cast) -> None:
    member_ws, owner_ws = probe(cast.member), probe(cast.owner)

    async def scenario() -> None:
        assert (await member_ws.connect())[0]
        assert (await owner_ws.connect())[0]
        await member_ws.send_to(text_data="who?")
        assert await member_ws.receive_from() == "member"
        await remove(cast, cast.member)()
        assert await member_ws.receive_output(timeout=3) == CLOSED
        assert await owner_ws.receive_nothing(timeout=0.3)
        await owner_ws.send_to(text_data="who?")
        assert await owner_ws.receive_from() == "owner"
        await owner_ws.disconnect()

    async_to_sync(scenario)()


def test_it_refuses_the_removed_member_a_new_socket(cast: Cast) -> None:
    headers = socket_headers(cast.member)

    async def scenario() -> None:
        await remove(cast, cast.member)()
        connected, code = await WebsocketCommunicator(
            probe_app, "/ws/t/acme/probe/", headers=headers
        ).connect()
        assert (connected, code) == (False, CLOSE_FORBIDDEN)

    async_to_sync(scenario)()


def test_it_refuses_another_tenants_user(cast: Cast) -> None:
    ws = probe(cast.other)

    async def scenario() -> None:
        connected, code = await ws.connect()
        assert (connected, code) == (False, CLOSE_FORBIDDEN)

    async_to_sync(scenario)()


def test_it_closes_a_removed_members_open_chat_socket(cast: Cast) -> None:
    ws = chat(cast.member)

    async def scenario() -> None:
        assert (await ws.connect())[0]
        await remove(cast, cast.member)()
        assert await ws.receive_output(timeout=3) == CLOSED

    async_to_sync(scenario)()


def test_it_closes_the_sockets_of_a_member_who_leaves(cast: Cast) -> None:
    ws = chat(cast.member)

    async def scenario() -> None:
        assert (await ws.connect())[0]
        membership = await database_sync_to_async(Membership.objects.select_related("tenant", "user").get)(
            tenant=cast.acme, user=cast.member
        )
        await database_sync_to_async(team.leave)(membership)
        assert await ws.receive_output(timeout=3) == CLOSED

    async_to_sync(scenario)()
