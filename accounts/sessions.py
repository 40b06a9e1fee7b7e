"""Ending every session of a person at once."""

from django.db.models import F

from accounts.models import User


def end_all_sessions(user: User) -> None:
    """Log `user` out everywhere: every browser session and every open WebSocket.

    Bumping session_generation changes the user's session auth hash, so Django (and Channels'
    AuthMiddlewareStack) reject every existing session on its next request, whatever the session
    backend; no scan of the session table is needed. Open sockets are closed through their
    member groups.
    """
    from tenants.consumers import revoke_sockets

    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    for tenant_id in user.memberships.values_list("tenant_id", flat=True):
        revoke_sockets(tenant_id, user.pk)
