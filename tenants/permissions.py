"""Who may do what in a workspace: the one place the role rules live.

- An owner may do everything.
- An admin may manage members (but not owners), documents, settings and quotas, and read the audit log.
- An admin also manages the assistants and reads the website's conversations and analytics.
- A member may upload, chat, save answers and see their own usage: being a member is enough, and the tenant
  middleware (and each socket) checks that, so those rights have no rule of their own.
- Budgets are set by operators (Django admin, `set_quota`), not by a workspace role.

Views use `@require(rule)` for the coarse check; object-level checks (may this admin change
that person?) call the `can_*` functions, which the team services re-check under lock.
Other apps import from here rather than comparing roles themselves; every rule here is used
by the app (tenants/tests/test_permissions.py checks that none is left for tests alone).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from tenants.models import Membership

Role = Membership.Role
OWNER = Role.OWNER
ADMIN = Role.ADMIN
MEMBER = Role.MEMBER
MANAGERS = (OWNER, ADMIN)


def is_manager(actor: Membership) -> bool:
    return actor.role in MANAGERS


def can_manage_members(actor: Membership, target: Membership | None = None) -> bool:
    """Owners manage anyone; admins manage admins and members, never owners."""
    if actor.role == OWNER:
        return True
    return actor.role == ADMIN and (target is None or target.role != OWNER)


def can_grant_role(actor: Membership, role: str) -> bool:
    """Owners grant any role; admins grant admin or member, never owner."""
    if actor.role == OWNER:
        return role in Role.values
    return actor.role == ADMIN and role in (ADMIN, MEMBER)


def grantable_roles(actor: Membership) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if can_grant_role(actor, value)]


def can_invite(actor: Membership, role: str | None = None) -> bool:
    return can_manage_members(actor) and (role is None or can_grant_role(actor, role))


def can_leave(actor: Membership) -> bool:
    """Anyone may leave, except a workspace's only owner (team.leave re-checks this under lock)."""
    if actor.role != OWNER:
        return True
    return Membership.objects.filter(tenant_id=actor.tenant_id, role=OWNER).exclude(pk=actor.pk).exists()


SOLE_OWNER = "You are the only owner: make someone else an owner before you can leave."


def can_transfer_ownership(actor: Membership) -> bool:
    return actor.role == OWNER


def can_manage_settings(actor: Membership) -> bool:
    return is_manager(actor)


def can_delete_workspace(actor: Membership) -> bool:
    return actor.role == OWNER


def can_view_audit(actor: Membership) -> bool:
    return is_manager(actor)


def can_manage_documents(actor: Membership) -> bool:
    """Delete or re-index any document of the workspace (not only one's own)."""
    return is_manager(actor)


def can_run_evaluation(actor: Membership) -> bool:
    """Keep test questions and run the retrieval evaluation (the Evaluation page)."""
    return is_manager(actor)


def can_manage_assistants(actor: Membership) -> bool:
    """Create, change and delete the workspace's assistants (members only use them in the chat)."""
    return is_manager(actor)


def can_view_conversations(actor: Membership) -> bool:
    """Read the website's conversations (the inbox) and each assistant's analytics; a member sees
    only their own staff chats."""
    return is_manager(actor)


def can_view_usage(actor: Membership, user_id: int | None = None) -> bool:
    """Managers see everyone's usage; a member sees only their own (`user_id` = theirs)."""
    return is_manager(actor) or (user_id is not None and user_id == actor.user_id)


MANAGERS_ONLY = "Owners and admins only: your role cannot do this."


def _who(roles: tuple[str, ...]) -> str:
    labels = [Role(role).label.lower() + "s" for role in roles]
    return " and ".join(labels).capitalize()


Rule = Callable[[Membership], bool]


def require(rule: Rule, message: str = "") -> Callable[[Callable[..., HttpResponse]], Any]:
    """Refuse (403) a tenant view unless `rule(request.membership)` allows it.

    Use under /t/<slug>/ only: the tenant middleware has set request.membership (and sent
    anonymous users to log in, and non-members to a 404) before this runs.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or not rule(membership):
                raise PermissionDenied(message or "Your role cannot do this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_role(*roles: str, message: str = "") -> Callable[[Callable[..., HttpResponse]], Any]:
    """`require` for a list of roles."""
    return require(
        lambda actor: actor.role in roles, message or f"{_who(roles)} only: your role cannot do this."
    )
