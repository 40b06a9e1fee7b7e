"""The one choke point for tenant URLs.

Every URL under /t/<tenant_slug>/ passes here before its view runs. An anonymous
user is sent to log in; a signed-in user who is not a member gets 404, exactly
as for a tenant that does not exist, so the response never reveals one.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from docuchat.lib.joined import Joined
from tenants.models import Membership

ACTIVE_EVERY = timedelta(minutes=5)  # "last active" is shown to the minute; no write per request


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.pop("tenant_slug", None)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = resolve_membership(request.user, slug)
        request.tenant = membership.tenant  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        touch(membership)
        return None


def touch(membership: Membership) -> None:
    """Note that the member is active, writing at most once per ACTIVE_EVERY.

    `membership.seen_before` says whether they had opened the workspace before this request.
    """
    membership.seen_before = membership.last_active is not None  # type: ignore[attr-defined]
    now = timezone.now()
    if membership.last_active is None or now - membership.last_active >= ACTIVE_EVERY:
        Membership.objects.filter(pk=membership.pk).update(last_active=now)
        membership.last_active = now


def resolve_membership(user: Any, slug: str) -> Membership:
    """The membership of `user` in tenant `slug`, or 404. Shared by views and consumers."""
    membership = (
        Membership.objects.select_related("tenant")
        .filter(tenant__slug=slug, user=user, user__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    return membership


def current_membership(tenant_id: int, user_id: int, session_key: str | None) -> Membership | None:
    """The membership, asked of the database now, while the browser session that signed in is still
    valid: not logged out, not ended by "log out of all sessions", the user still active.

    Sockets call this on every message, so that access removed by any path (the team pages, Django
    admin, deleting the workspace, deactivation, logging out) stops the very next one, even when
    the push that closes sockets was lost.
    """
    from accounts.sessions import session_is_current

    membership = _active_membership(tenant_id, user_id)
    if membership is None or not session_is_current(session_key, membership.user):
        return None
    return membership


def _active_membership(tenant_id: int, user_id: int) -> Membership | None:
    """Membership.objects.select_related("tenant", "user").filter(tenant_id=..., user_id=...,
    user__is_active=True).first(), as one hand-written query (docuchat/lib/joined.py): it runs for
    every chat message."""
    loaded = _membership_query().first([tenant_id, user_id])
    if loaded is None:
        return None
    membership, tenant, user = loaded
    membership.tenant, membership.user = tenant, user  # type: ignore[attr-defined]
    return membership  # type: ignore[return-value]


@cache
def _membership_query() -> Joined:
    from accounts.models import User
    from tenants.models import Tenant

    return Joined(
        ((Membership, "m", ""), (Tenant, "t", "t.id = m.tenant_id"), (User, "u", "u.id = m.user_id")),
        "m.tenant_id = %s AND m.user_id = %s AND u.is_active",
    )
