"""The members page: the team, invitations, role changes, removal, leaving, ownership transfer.

Every action is a POST form that works without JavaScript (answered with a redirect back to
the page) and, through htmx, swaps the #team panel in place. Refusals keep their HTTP status
(403, 409, 429); static/js/tenants.js lets htmx show them in the panel.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_ratelimit.core import is_ratelimited

from tenants import invitations, permissions, team
from tenants.access import get_invitation, get_membership
from tenants.forms import InviteForm, RoleForm
from tenants.http import TenantRequest
from tenants.models import Membership
from tenants.permissions import MANAGERS_ONLY, require
from tenants.views.helpers import is_fragment

Role = Membership.Role
ROLE_ORDER = Case(
    When(role=Role.OWNER, then=Value(0)), When(role=Role.ADMIN, then=Value(1)), default=Value(2),
    output_field=IntegerField(),
)  # fmt: skip
RATE_LIMITED = "You have sent many invitations recently. Please wait a while before sending more."


@dataclass
class MemberRow:
    membership: Membership
    is_me: bool
    can_manage: bool
    roles: list[tuple[str, str]]
    can_transfer: bool

    @property
    def last_seen(self) -> str:
        last = self.membership.last_active
        if last is None:
            return "Never"
        if timezone.now() - last < timedelta(minutes=1):
            return "Just now"
        return f"{timesince(last)} ago"


def _rows(me: Membership) -> list[MemberRow]:
    memberships = me.tenant.memberships.select_related("user").order_by(ROLE_ORDER, "user__email")
    rows = []
    for m in memberships:
        manage = m.pk != me.pk and permissions.can_manage_members(me, m)
        roles = permissions.grantable_roles(me) if manage else []
        can_transfer = permissions.can_transfer_ownership(me) and m.pk != me.pk and m.role != Role.OWNER
        rows.append(MemberRow(m, m.pk == me.pk, manage, roles, can_transfer))
    return rows


def _context(request: TenantRequest, invite_form: InviteForm | None = None) -> dict[str, Any]:
    me = request.membership
    me.refresh_from_db(fields=["role"])
    can_invite = permissions.can_invite(me)
    pending = list(invitations.pending(request.tenant).select_related("invited_by").order_by("-created"))
    for invitation in pending:
        invitation.can_manage = permissions.can_invite(me, invitation.role)  # type: ignore[attr-defined]
    return {
        "rows": _rows(me),
        "can_leave": permissions.can_leave(me),
        "sole_owner": permissions.SOLE_OWNER,
        "can_invite": can_invite,
        "invite_form": invite_form or (InviteForm(actor=me) if can_invite else None),
        "pending": pending if can_invite else [],
    }


def _respond(
    request: TenantRequest, *, notice: str = "", error: str = "", status: int = 200, form: Any = None
) -> HttpResponse:
    """The #team panel for htmx; otherwise the page with the error, or a redirect after success."""
    if not is_fragment(request) and not error and status < 400:
        messages.success(request, notice)
        return redirect("tenants:members", tenant_slug=request.tenant.slug)
    level = "error" if error else "ok"
    context = {**_context(request, form), "notice": error or notice, "notice_level": level}
    template = "tenants/members.html#team" if is_fragment(request) else "tenants/members.html"
    return render(request, template, context, status=status)


def _refused(request: TenantRequest, exc: team.TeamError, form: Any = None) -> HttpResponse:
    return _respond(request, error=str(exc), status=exc.status, form=form)


@require_GET
@vary_on_headers("HX-Request")
def members(request: TenantRequest) -> HttpResponse:
    template = "tenants/members.html#team" if is_fragment(request) else "tenants/members.html"
    return render(request, template, _context(request))


def _link_for(request: HttpRequest) -> invitations.LinkFor:
    return lambda token: request.build_absolute_uri(reverse("tenants:invitation", args=[token]))


def _invites_limited(request: TenantRequest) -> bool:
    """Count this invitation against both limits: per inviting person and per workspace."""
    by_user = is_ratelimited(
        request, group="invite-user", key="user", rate=settings.INVITE_RATE_PER_USER, increment=True
    )
    by_tenant = is_ratelimited(
        request, group="invite-tenant", key=lambda group, req: str(req.tenant.pk),
        rate=settings.INVITE_RATE_PER_TENANT, increment=True,
    )  # fmt: skip
    return by_user or by_tenant


@require_POST
@require(permissions.can_invite, MANAGERS_ONLY)
def invite(request: TenantRequest) -> HttpResponse:
    form = InviteForm(request.POST, actor=request.membership)
    if not form.is_valid():
        return _respond(request, error="The invitation was not sent: see below.", status=400, form=form)
    if _invites_limited(request):
        form.add_error(None, RATE_LIMITED)
        return _respond(request, error=RATE_LIMITED, status=429, form=form)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    try:
        _, resent = invitations.invite(request.membership, email, role, _link_for(request))
    except team.TeamError as exc:
        form.add_error("email", str(exc))
        return _refused(request, exc, form)
    verb = "re-sent (with a new link)" if resent else "sent"
    return _respond(request, notice=f"Invitation {verb} to {email} as {Role(role).label.lower()}.")


@require_POST
@require(permissions.can_invite, MANAGERS_ONLY)
def resend_invitation(request: TenantRequest, invitation_id: UUID) -> HttpResponse:
    invitation = get_invitation(request, invitation_id, write=True)
    if _invites_limited(request):
        return _respond(request, error=RATE_LIMITED, status=429)
    try:
        invitations.resend(request.membership, invitation, _link_for(request))
    except team.TeamError as exc:
        return _refused(request, exc)
    notice = f"Invitation re-sent to {invitation.email}; the old link no longer works."
    return _respond(request, notice=notice)


@require_POST
@require(permissions.can_invite, MANAGERS_ONLY)
def revoke_invitation(request: TenantRequest, invitation_id: UUID) -> HttpResponse:
    invitation = get_invitation(request, invitation_id, write=True)
    try:
        invitations.revoke(request.membership, invitation)
    except team.TeamError as exc:
        return _refused(request, exc)
    return _respond(request, notice=f"Invitation for {invitation.email} revoked.")


@require_POST
@require(permissions.can_manage_members, MANAGERS_ONLY)
def change_role(request: TenantRequest, member_id: UUID) -> HttpResponse:
    target = get_membership(request, member_id, write=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _respond(request, error=form.errors["role"][0], status=400)
    role = form.cleaned_data["role"]
    try:
        changed = team.change_role(request.membership, target, role)
    except team.TeamError as exc:
        return _refused(request, exc)
    state = "is now" if changed else "is already"
    return _respond(request, notice=f"{target.user.email} {state} {Role(role).label.lower()}.")


@require_POST
@require(permissions.can_manage_members, MANAGERS_ONLY)
def remove(request: TenantRequest, member_id: UUID) -> HttpResponse:
    target = get_membership(request, member_id, write=True)
    if target.pk == request.membership.pk:
        return leave(request)
    try:
        team.remove_member(request.membership, target)
    except team.TeamError as exc:
        return _refused(request, exc)
    return _respond(request, notice=f"{target.user.email} was removed from {request.tenant.name}.")


@require_POST
@require(permissions.can_transfer_ownership, "Only an owner can transfer ownership.")
def transfer(request: TenantRequest, member_id: UUID) -> HttpResponse:
    target = get_membership(request, member_id)
    try:
        team.transfer_ownership(request.membership, target)
    except team.TeamError as exc:
        return _refused(request, exc)
    return _respond(request, notice=f"{target.user.email} now owns {request.tenant.name}; you are an admin.")


@require_POST
def leave(request: TenantRequest) -> HttpResponse:
    try:
        team.leave(request.membership)
    except team.TeamError as exc:
        return _refused(request, exc)
    messages.success(request, f"You left {request.tenant.name}.")
    if is_fragment(request):
        return HttpResponseClientRedirect(reverse("tenants:home"))
    return redirect("tenants:home")
