"""Changes to who is in a workspace and with which role.

Every change runs in a transaction that first locks the tenant's owner memberships together
with the memberships it touches (one SELECT ... FOR UPDATE, in primary-key order, so two changes
never deadlock). Under that lock the rights and the last-owner rule are checked again against
fresh rows: of two concurrent demotions of the last two owners, the second waits, then sees
one owner left and is refused.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q

from tenants import audit, permissions
from tenants.models import Membership, Tenant

Role = Membership.Role
Action = audit.Action


class TeamError(Exception):
    """A refused change; the message is for the person who asked. `status` is the HTTP answer."""

    status = 409


class NotAllowed(TeamError):
    status = 403


def _lock(tenant: Tenant, *pks: int) -> dict[int, Membership]:
    """Lock the tenant's owners and the memberships `pks`; return them fresh, by pk."""
    rows = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "tenant")
        .filter(Q(role=Role.OWNER) | Q(pk__in=pks), tenant=tenant)
        .order_by("pk")
    )
    return {m.pk: m for m in rows}


Pair = tuple[Membership, Membership]


def _fresh(locked: dict[int, Membership], actor: Membership, target: Membership) -> Pair:
    fresh_actor, fresh_target = locked.get(actor.pk), locked.get(target.pk)
    if fresh_actor is None:
        raise NotAllowed("You are no longer a member of this workspace.")
    if fresh_target is None:
        raise TeamError("That person is no longer a member of this workspace.")
    return fresh_actor, fresh_target


def _ensure_other_owner(locked: dict[int, Membership], target: Membership, what: str) -> None:
    owners = [m for m in locked.values() if m.role == Role.OWNER]
    if target.role == Role.OWNER and len(owners) <= 1:
        raise TeamError(
            f"{target.user.email} is the last owner of {target.tenant.name} and cannot be {what}. "
            "Make someone else an owner first."
        )


def change_role(actor: Membership, target: Membership, role: str) -> bool:
    """Give `target` the role `role`; False when they already have it."""
    if role not in Role.values:
        raise TeamError("Choose owner, admin or member.")
    with transaction.atomic():
        locked = _lock(actor.tenant, actor.pk, target.pk)
        actor, target = _fresh(locked, actor, target)
        if not permissions.can_manage_members(actor, target):
            raise NotAllowed("Only owners can change an owner's role.")
        if not permissions.can_grant_role(actor, role):
            raise NotAllowed("Only owners can make someone an owner.")
        if target.role == role:
            return False
        _set_role(locked, target, role, by=actor.user)
    return True


def set_role_as_operator(tenant: Tenant, user: Any, role: str) -> str | None:
    """`manage.py add_member`: add `user` to `tenant` with `role`, or give them `role`.

    Operators need no rights, but the lock and the last-owner rule are change_role's. Returns the
    person's previous role (None when they were added).
    """
    with transaction.atomic():
        existing = Membership.objects.filter(tenant=tenant, user=user).values_list("pk", flat=True)
        locked = _lock(tenant, *existing)
        before = next((m for m in locked.values() if m.user_id == user.pk), None)
        if before is None:
            Membership.objects.create(tenant=tenant, user=user, role=role)
            audit.record(tenant, None, Action.MEMBER_JOINED, user.email, role=role, by="operator")
            return None
        if before.role == role:
            raise TeamError(f"{user.email} is already a {role} of {tenant.name}.")
        previous = before.role
        _set_role(locked, before, role, by=None)
    return previous


def _set_role(locked: dict[int, Membership], target: Membership, role: str, *, by: Any) -> None:
    """Under the lock: give `target` the role, unless that leaves the workspace without an owner."""
    if role != Role.OWNER:
        _ensure_other_owner(locked, target, "demoted")
    old, target.role = target.role, role
    target.save(update_fields=["role"])
    audit.record(target.tenant, by, Action.MEMBER_ROLE_CHANGED, target.user.email, old=old, new=role)


def remove_member(actor: Membership, target: Membership) -> None:
    """Remove `target` from the workspace; their open sockets close when this commits."""
    if actor.pk == target.pk:
        leave(actor)
        return
    with transaction.atomic():
        locked = _lock(actor.tenant, actor.pk, target.pk)
        actor, target = _fresh(locked, actor, target)
        if not permissions.can_manage_members(actor, target):
            raise NotAllowed("Only owners can remove an owner.")
        _ensure_other_owner(locked, target, "removed")
        _delete(target)
        audit.record(target.tenant, actor.user, Action.MEMBER_REMOVED, target.user.email, role=target.role)


def leave(membership: Membership) -> None:
    """`membership`'s person leaves the workspace (refused for its last owner)."""
    with transaction.atomic():
        locked = _lock(membership.tenant, membership.pk)
        fresh = locked.get(membership.pk)
        if fresh is None:
            raise TeamError("You are no longer a member of this workspace.")
        if fresh.role == Role.OWNER and sum(m.role == Role.OWNER for m in locked.values()) <= 1:
            raise TeamError(
                f"You are the last owner of {fresh.tenant.name}. Make someone else an owner "
                "(or delete the workspace) before leaving."
            )
        _delete(fresh)
        audit.record(fresh.tenant, fresh.user, Action.MEMBER_LEFT, fresh.user.email, role=fresh.role)


def transfer_ownership(actor: Membership, target: Membership) -> None:
    """Make `target` an owner and step `actor` down to admin."""
    if actor.pk == target.pk:
        raise TeamError("You already own this workspace. Choose someone else.")
    with transaction.atomic():
        actor, target = _fresh(_lock(actor.tenant, actor.pk, target.pk), actor, target)
        if not permissions.can_transfer_ownership(actor):
            raise NotAllowed("Only an owner can transfer ownership.")
        old = target.role
        target.role, actor.role = Role.OWNER, Role.ADMIN
        target.save(update_fields=["role"])
        actor.save(update_fields=["role"])
        audit.record(
            target.tenant, actor.user, Action.OWNERSHIP_TRANSFERRED, target.user.email,
            old=old, previous_owner=actor.user.email,
        )  # fmt: skip


def _delete(membership: Membership) -> None:
    membership.delete()  # its open sockets close once this commits (tenants/signals.py)
