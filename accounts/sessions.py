"""Browser sessions: ending them all at once, and checking that one is still valid."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db.models import F
from django.dispatch import Signal
from django.utils.crypto import constant_time_compare

from accounts.models import User

# Sent after "log out of all sessions" (with `user`): apps close that person's open sockets.
all_sessions_ended = Signal()


def end_all_sessions(user: User) -> None:
    """Log `user` out everywhere: every browser session and every open WebSocket.

    Bumping session_generation changes the user's session auth hash, so Django (and Channels'
    AuthMiddlewareStack) reject every existing session on its next request, whatever the session
    backend; no scan of the session table is needed. Sockets re-check the session on every message
    (session_is_current), and receivers of `all_sessions_ended` close them at once.
    """
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    all_sessions_ended.send(sender=User, user=user)


def session_is_current(session_key: str | None, user: User) -> bool:
    """Whether the browser session `session_key` still signs `user` in, as Django's auth middleware
    would decide on its next request: the session exists (no logout), belongs to `user`, and its
    auth hash matches the user's (no "log out of all sessions", no password change).

    `user` must be fresh from the database; an inactive user is the caller's to refuse.
    """
    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY, "")) != str(user.pk):
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(stored, h) for h in hashes)
