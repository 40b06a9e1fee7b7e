"""The one tenant-scoped access path: one helper per object type.

Views never call `Model.objects.get` on tenant data themselves. Each helper takes
the request (whose tenant the middleware resolved) and an opaque id, and raises
404 for anything outside that tenant, exactly as for something that does not exist.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    from django.db.models import QuerySet

    from tenants.http import TenantRequest
    from tenants.models import Invitation, Membership
    from usage.models import UsageRecord


def usage_records(request: "TenantRequest") -> "QuerySet[UsageRecord]":
    """This tenant's usage records: all of them for owners and admins, a member's own otherwise."""
    from usage.models import UsageRecord

    records = UsageRecord.objects.filter(tenant=request.tenant)
    if not request.membership.is_manager:
        records = records.filter(user=request.user)
    return records


def get_membership(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Membership":
    """A membership of the request's tenant; with write=True, 403 unless the user may manage it.

    The team services re-check the rights under lock; this is the early, cheap refusal.
    """
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from tenants.models import Membership
    from tenants.permissions import can_manage_members

    qs = Membership.objects.select_related("user", "tenant").filter(tenant=request.tenant)
    membership = get_object_or_404(qs, public_id=public_id)
    mine = membership.pk == request.membership.pk
    if write and not mine and not can_manage_members(request.membership, membership):
        raise PermissionDenied("Your role cannot change this person's membership.")
    return membership


def get_invitation(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Invitation":
    """An invitation of the request's tenant; with write=True, 403 unless the user may manage it."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from tenants.models import Invitation
    from tenants.permissions import can_invite

    qs = Invitation.objects.select_related("tenant", "invited_by").filter(tenant=request.tenant)
    invitation = get_object_or_404(qs, public_id=public_id)
    if write and not can_invite(request.membership, invitation.role):
        raise PermissionDenied("Your role cannot manage this invitation.")
    return invitation
