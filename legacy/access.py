"""Who a v1 request or socket message is from, asked of the database every time.

A token (legacy/tokens.py) signs a user in while the user is active and has not logged out of all
sessions since it was issued (its generation is the user's). The workspace is named by the
X-Tenant-ID header (or a socket's `tenant` parameter): its slug, or its numeric id, as the original
backend used. Someone who is not a member gets exactly the answer for a workspace that does not
exist.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from legacy.tokens import Claims
from tenants.models import Membership

NO_WORKSPACE = "No such workspace."
NAME_WORKSPACE = "Name the workspace in the X-Tenant-ID header: its slug or its numeric id."
REVOKED = "This access token no longer signs you in (you logged out of all sessions, or the account is disabled). Sign in again."  # noqa: E501


def signed_in_user(claims: Claims) -> User | None:
    """The token's user, if still active and not logged out of all sessions since it was issued."""
    return User.objects.filter(
        pk=claims.user_id, is_active=True, session_generation=claims.generation
    ).first()


def workspace_filter(ref: str) -> Q | None:
    """The tenant named by `ref`: its slug, or (all digits) its numeric id; None if neither."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        return Q(tenant__slug=ref) | Q(tenant_id=int(ref))
    if not ref or len(ref) > 50 or "\x00" in ref:  # a NUL never names one (PostgreSQL refuses it)
        return None
    return Q(tenant__slug=ref)


def current_membership(claims: Claims, ref: str) -> Membership | None:
    """The membership of the token's user in the workspace named `ref`, while the token still signs
    them in: one query (the membership, the user active, the same session generation)."""
    match = workspace_filter(ref)
    if match is None:
        return None
    found = list(_memberships(claims, match)[:2])
    # A slug made of digits that is also another workspace's id: the slug wins, as it is the name.
    found.sort(key=lambda m: m.tenant.slug != ref.strip())
    return found[0] if found else None


def membership_in(claims: Claims, tenant_id: int) -> Membership | None:
    """The same, for a workspace already found (asked again at every turn)."""
    return _memberships(claims, Q(tenant_id=tenant_id)).first()


def _memberships(claims: Claims, match: Q) -> QuerySet[Membership]:
    return Membership.objects.select_related("tenant", "user").filter(
        match, user_id=claims.user_id, user__is_active=True, user__session_generation=claims.generation
    )
