"""Inviting people by email, and accepting an invitation.

The link carries a random 256-bit token; only its SHA-256 is stored, so a copy of the table
cannot be turned into working links. An invitation is bound to its email, expires after
INVITATION_TTL, works once, and can be revoked or re-sent (re-sending issues a new token and a
new expiry, so the old link stops working).
"""

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.template.loader import render_to_string
from django.utils import timezone

from tenants import audit, permissions
from tenants.models import INVITATION_TTL, Invitation, Membership
from tenants.team import NotAllowed, TeamError

Action = audit.Action
LinkFor = Callable[[str], str]  # token -> absolute URL of the invitation link


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def pending(tenant: Any) -> Any:
    return Invitation.objects.filter(tenant=tenant, accepted__isnull=True, revoked__isnull=True)


def invite(actor: Membership, email: str, role: str, link_for: LinkFor) -> tuple[Invitation, bool]:
    """Invite `email` with `role` and email them the link; True when it re-sent a pending one.

    Raises NotAllowed if the actor may not grant the role, TeamError if they are a member already.
    """
    email = email.strip().lower()
    if not permissions.can_invite(actor, role):
        raise NotAllowed("Only owners can invite an owner." if role == Membership.Role.OWNER else
                         "Only owners and admins can invite people.")  # fmt: skip
    if Membership.objects.filter(tenant=actor.tenant, user__email=email).exists():
        raise TeamError(f"{email} is already a member of {actor.tenant.name}.")
    existing = pending(actor.tenant).filter(email=email).first()
    if existing is not None:
        _check_manage(actor, existing)  # an admin may not rewrite an owner's invitation
        existing.role = role
        return resend(actor, existing, link_for), True
    try:
        with transaction.atomic():
            invitation, token = _create(actor, email, role)
    except IntegrityError:  # a parallel request invited the same email first
        raise TeamError(f"{email} was just invited by someone else.") from None
    _send(invitation, token, link_for)
    return invitation, False


def _create(actor: Membership, email: str, role: str) -> tuple[Invitation, str]:
    token, token_hash = _new_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        tenant=actor.tenant, email=email, role=role, token_hash=token_hash,
        invited_by=actor.user, created=now, sent=now, expires=now + INVITATION_TTL,
    )  # fmt: skip
    audit.record(actor.tenant, actor.user, Action.MEMBER_INVITED, email, role=role)
    return invitation, token


def resend(actor: Membership, invitation: Invitation, link_for: LinkFor) -> Invitation:
    """A new token and a new expiry for a pending invitation; the old link stops working."""
    _check_manage(actor, invitation)
    token, token_hash = _new_token()
    now = timezone.now()
    invitation.token_hash, invitation.sent, invitation.expires = token_hash, now, now + INVITATION_TTL
    invitation.invited_by = actor.user
    with transaction.atomic():  # the new link and its audit entry, or neither
        invitation.save(update_fields=["token_hash", "sent", "expires", "invited_by", "role"])
        audit.record(actor.tenant, actor.user, Action.MEMBER_INVITED, invitation.email, role=invitation.role,
                     resent=True)  # fmt: skip
    _send(invitation, token, link_for)
    return invitation


def revoke(actor: Membership, invitation: Invitation) -> None:
    _check_manage(actor, invitation)
    invitation.revoked = timezone.now()
    with transaction.atomic():
        invitation.save(update_fields=["revoked"])
        audit.record(
            actor.tenant, actor.user, Action.INVITATION_REVOKED, invitation.email, role=invitation.role
        )


def _check_manage(actor: Membership, invitation: Invitation) -> None:
    if not invitation.is_pending:
        raise TeamError(f"The invitation for {invitation.email} was already accepted or revoked.")
    if not permissions.can_invite(actor, invitation.role):
        raise NotAllowed("Only owners can manage an invitation to become an owner.")


def _send(invitation: Invitation, token: str, link_for: LinkFor) -> None:
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "link": link_for(token),
        "inviter": inviter.get_short_name() if inviter else "Your team",
        "inviter_email": inviter.email if inviter else "",
    }
    send_mail(
        subject=f"You're invited to {invitation.tenant.name} on DocuChat",
        message=render_to_string("tenants/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


class Refusal(TextChoices):
    """Why an invitation link cannot be used; the label is what the person reads."""

    INVALID = "invalid", "This invitation link is not valid. Check that you copied all of it."
    REVOKED = "revoked", "This invitation was withdrawn. Ask the workspace's owners for a new one."
    USED = "used", "This invitation has already been used. Each link works once."
    EXPIRED = "expired", "This invitation has expired. Ask the workspace's owners to send it again."
    WRONG_EMAIL = "wrong_email", "This invitation is for a different email address."


REFUSAL_STATUS = {
    Refusal.INVALID: 404,
    Refusal.REVOKED: 410,
    Refusal.USED: 410,
    Refusal.EXPIRED: 410,
    Refusal.WRONG_EMAIL: 403,
}


class InvitationRefused(Exception):
    def __init__(self, reason: Refusal, invitation: Invitation | None = None) -> None:
        super().__init__(reason.label)
        self.reason = reason
        self.invitation = invitation


def find(token: str) -> Invitation:
    """The usable invitation for `token` (not yet accepting it), or InvitationRefused."""
    invitation = (
        Invitation.objects.select_related("tenant", "invited_by").filter(token_hash=hash_token(token)).first()
    )
    _check_usable(invitation)
    assert invitation is not None
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationRefused(Refusal.INVALID)
    if invitation.revoked:
        raise InvitationRefused(Refusal.REVOKED, invitation)
    if invitation.accepted:
        raise InvitationRefused(Refusal.USED, invitation)
    if invitation.is_expired:
        raise InvitationRefused(Refusal.EXPIRED, invitation)


def accept(token: str, user: Any) -> Membership:
    """Accept the invitation for `token` as `user`: single use, bound to the invited email.

    1. Lock the invitation row, so two tabs accepting at once cannot both use it.
    2. Refuse it if unknown, revoked, used, expired, or for another email.
    3. Add the membership (an existing one is kept as it is), mark the invitation used, audit.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .filter(token_hash=hash_token(token))
            .first()
        )
        _check_usable(invitation)
        assert invitation is not None
        if invitation.email != user.email.lower():
            raise InvitationRefused(Refusal.WRONG_EMAIL, invitation)
        membership, created = Membership.objects.get_or_create(
            tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted", "accepted_by"])
        if created:
            audit.record(invitation.tenant, user, Action.MEMBER_JOINED, user.email, role=invitation.role,
                         invited_by=invitation.invited_by.email if invitation.invited_by else "")  # fmt: skip
    return membership
