"""The base for every tenant WebSocket: one place checks who may connect, and who still may.

A consumer under /ws/t/<tenant_slug>/... subclasses TenantConsumer. On connect it
authenticates from the session (AuthMiddlewareStack), resolves the membership
exactly like the HTTP middleware, and closes the socket for anyone else.

Access is the database's to say, every time: a socket that receives a message asks again
(`current_membership`: the membership, the user still active, its browser session still valid),
so removing access by any path stops the very next message. On top of that, as a courtesy that
closes sockets at once, every connection joins groups that revocations push to:
- `tenant-<id>`: events for the whole workspace (document progress, ...).
- `member-<tenant_id>-<user_id>`: this person's sockets in it (membership removed, person
  deactivated or logged out everywhere).
- `session-<digest>`: the sockets of one browser session (that browser logged out).
"""

import hashlib
import logging
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import DatabaseError
from django.http import Http404

from docuchat.lib import channel_layer
from tenants.middleware import current_membership, resolve_membership
from tenants.models import Membership

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
# A socket that only receives pushes (document progress) asks again at most this often.
PUSH_RECHECK_SECONDS = 15.0


def tenant_group(tenant_id: int) -> str:
    return f"tenant-{tenant_id}"


def member_group(tenant_id: int, user_id: int) -> str:
    return f"member-{tenant_id}-{user_id}"


def session_group(session_key: str) -> str:
    # Never the key itself: group names may be stored and logged by the channel layer.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _close_group(group: str) -> None:
    """Close every socket in `group`. A courtesy on top of the per-message check: if the channel
    layer is down (e.g. its database restarting), it is logged and the check still holds."""
    try:
        channel_layer.group_send(group, {"type": "membership.revoked"})
    except Exception:
        log.warning("Could not push the closing of sockets in %s", group, exc_info=True)


def revoke_sockets(tenant_id: int, user_id: int) -> None:
    """Close every open socket of this user in this tenant (after removing the membership)."""
    _close_group(member_group(tenant_id, user_id))


def revoke_user_sockets(user_id: int) -> None:
    """Close every open socket of this user, in every tenant they are a member of."""
    try:
        tenant_ids = list(Membership.objects.filter(user_id=user_id).values_list("tenant_id", flat=True))
    except DatabaseError:
        log.warning("Could not list the workspaces whose sockets to close", exc_info=True)
        return
    for tenant_id in tenant_ids:
        revoke_sockets(tenant_id, user_id)


def revoke_session_sockets(session_key: str) -> None:
    """Close the open sockets of one browser session."""
    _close_group(session_group(session_key))


class TenantConsumer(AsyncWebsocketConsumer):
    membership: Membership
    checked_at: float = 0.0

    async def connect(self) -> None:
        membership = await self._membership()
        if membership is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.membership = membership
        self.checked_at = time.monotonic()
        self.groups_joined = [
            tenant_group(membership.tenant_id),
            member_group(membership.tenant_id, membership.user_id),
        ]
        if self.session_key:
            self.groups_joined.append(session_group(self.session_key))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.on_connected()

    async def on_connected(self) -> None:
        """Subclasses set up here, after the membership is checked and the socket accepted."""

    @property
    def session_key(self) -> str | None:
        session = self.scope.get("session")
        return getattr(session, "session_key", None)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The tenant group carries every app's events (document progress, ...): each kind of
        # consumer handles the types it knows and ignores the others instead of crashing on them.
        if not hasattr(self, get_handler_name(message)):
            return
        if self._is_push(message) and time.monotonic() - self.checked_at >= PUSH_RECHECK_SECONDS:
            allowed = await self.still_member()
            if allowed is False:
                await self.close(code=CLOSE_FORBIDDEN)
            if not allowed:  # refused, or the database could not say: this push is not delivered
                return
        await super().dispatch(message)

    @staticmethod
    def _is_push(message: dict[str, Any]) -> bool:
        kind = str(message.get("type", ""))
        return not kind.startswith("websocket.") and kind != "membership.revoked"

    async def still_member(self) -> bool | None:
        """Ask the database whether this socket's person is still a member with a valid browser
        session, keeping the fresh membership. None when the database cannot say (it is down)."""
        try:
            fresh = await database_sync_to_async(current_membership)(
                self.membership.tenant_id, self.membership.user_id, self.session_key
            )
        except DatabaseError:
            log.warning("Could not re-check a socket's access: the database did not answer", exc_info=True)
            return None
        self.checked_at = time.monotonic()
        if fresh is None:
            return False
        self.membership = fresh
        return True

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
