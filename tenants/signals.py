"""Closing sockets at once when access goes, whichever path removed it.

A courtesy on top of the check every socket makes on every message (tenants/consumers.py): these
push a close to the sockets' groups after the change commits.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.sessions import all_sessions_ended
from tenants.consumers import revoke_session_sockets, revoke_sockets, revoke_user_sockets
from tenants.models import Membership


@receiver(post_delete, sender=Membership, dispatch_uid="tenants_membership_deleted_closes_sockets")
def membership_deleted(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    """Removed by the team pages, Django admin, Model.delete(), or with its workspace or user."""
    tenant_id, user_id = instance.tenant_id, instance.user_id
    transaction.on_commit(lambda: revoke_sockets(tenant_id, user_id), robust=True)


@receiver(post_save, sender=User, dispatch_uid="tenants_user_deactivated_closes_sockets")
def user_saved(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: revoke_user_sockets(user_id), robust=True)


@receiver(all_sessions_ended, dispatch_uid="tenants_all_sessions_ended_closes_sockets")
def sessions_ended(sender: Any, user: User, **kwargs: Any) -> None:
    user_id = user.pk
    transaction.on_commit(lambda: revoke_user_sockets(user_id), robust=True)


@receiver(user_logged_out, dispatch_uid="tenants_logout_closes_session_sockets")
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A plain logout ends that browser's sockets (and only that browser's)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        transaction.on_commit(lambda: revoke_session_sockets(session_key), robust=True)
