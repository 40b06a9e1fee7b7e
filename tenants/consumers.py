"""The base for every tenant WebSocket: one place checks who may connect.

A consumer under /ws/t/<tenant_slug>/... subclasses TenantConsumer. On connect it
authenticates from the session (AuthMiddlewareStack), resolves the membership
exactly like the HTTP middleware, and closes the socket for anyone else. Every
connection joins two groups:
- `tenant-<id>`: events for the whole workspace (document progress, ...).
- `member-<tenant_id>-<user_id>`: events for this person's sockets in it, used
  to close them at once when the membership is removed (`revoke_sockets`).
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.http import Http404

from tenants.middleware import resolve_membership
from tenants.models import Membership

CLOSE_FORBIDDEN = 4403


def tenant_group(tenant_id: int) -> str:
    return f"tenant-{tenant_id}"


def member_group(tenant_id: int, user_id: int) -> str:
    return f"member-{tenant_id}-{user_id}"


def revoke_sockets(tenant_id: int, user_id: int) -> None:
    """Close every open socket of this user in this tenant (call after removing the membership)."""
    async_to_sync(get_channel_layer().group_send)(
        member_group(tenant_id, user_id), {"type": "membership.revoked"}
    )


class TenantConsumer(AsyncWebsocketConsumer):
    membership: Membership

    async def connect(self) -> None:
        membership = await self._membership()
        if membership is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.membership = membership
        self.groups_joined = [
            tenant_group(membership.tenant_id),
            member_group(membership.tenant_id, membership.user_id),
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.on_connected()

    async def on_connected(self) -> None:
        """Subclasses set up here, after the membership is checked and the socket accepted."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The tenant group carries every app's events (document progress, ...): each kind of
        # consumer handles the types it knows and ignores the others instead of crashing on them.
        if not hasattr(self, get_handler_name(message)):
            return
        await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def membership_revoked(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_FORBIDDEN)

    @database_sync_to_async
    def _membership(self) -> Membership | None:
        user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"].get("tenant_slug")
        if user is None or not user.is_authenticated or not slug:
            return None
        try:
            return resolve_membership(user, slug)
        except Http404:
            return None
