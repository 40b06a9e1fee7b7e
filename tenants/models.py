import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MinLengthValidator
from django.db import models
from django.utils import timezone

RESERVED_SLUGS = {"admin", "new", "static", "media", "api", "ws", "login", "account"}


class Tenant(models.Model):
    """A workspace: a team's documents, chats and usage live inside exactly one tenant."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=50, unique=True, validators=[MinLengthValidator(2)])
    created = models.DateTimeField(default=timezone.now)
    # How its assistants answer (instructions, chat model) lives on each of them: assistants.Assistant.

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(default=timezone.now)
    # Set by the tenant middleware at most every ACTIVE_EVERY, for the members list.
    last_active = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
        ]
        indexes = [
            # The tenant choke point: the membership for (slug, user) on every tenant request.
            models.Index(fields=["user", "tenant"], name="membership_user_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


def create_tenant(*, name: str, slug: str, owner: Any) -> Tenant:
    """Create a tenant with `owner` as its first owner, all or nothing."""
    from django.db import transaction

    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, slug=slug)
        Membership.objects.create(tenant=tenant, user=owner, role=Membership.Role.OWNER)
    return tenant


class AuditEntry(models.Model):
    """Who did what in a workspace. Written through `tenants.audit.record`, never edited."""

    class Action(models.TextChoices):
        MEMBER_INVITED = "member.invited", "Member invited"
        MEMBER_JOINED = "member.joined", "Member joined"
        MEMBER_ROLE_CHANGED = "member.role_changed", "Role changed"
        MEMBER_REMOVED = "member.removed", "Member removed"
        MEMBER_LEFT = "member.left", "Member left"
        OWNERSHIP_TRANSFERRED = "ownership.transferred", "Ownership transferred"
        INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
        DOCUMENT_UPLOADED = "document.uploaded", "Document uploaded"
        DOCUMENT_DELETED = "document.deleted", "Document deleted"
        DOCUMENT_REINDEXED = "document.reindexed", "Document re-indexed"
        SETTINGS_CHANGED = "settings.changed", "Settings changed"
        QUOTA_CHANGED = "quota.changed", "Quota changed"
        ASSISTANT_CREATED = "assistant.created", "Assistant created"
        ASSISTANT_CHANGED = "assistant.changed", "Assistant changed"
        ASSISTANT_DELETED = "assistant.deleted", "Assistant deleted"
        API_KEY_CREATED = "api_key.created", "API key created"
        API_KEY_ROTATED = "api_key.rotated", "API key rotated"
        API_KEY_REVOKED = "api_key.revoked", "API key revoked"
        API_KEY_CHANGED = "api_key.changed", "API key changed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField(blank=True)  # kept when the user is deleted
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            # The audit page: a tenant's entries, newest first, optionally by action.
            models.Index(fields=["tenant", "-created"], name="audit_tenant_created"),
            models.Index(fields=["tenant", "action", "-created"], name="audit_tenant_action"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_email or 'system'}"

    def detail_items(self) -> list[tuple[str, str]]:
        """The details as (name, text) pairs for display; old/new pairs read 'old → new'."""
        details = dict(self.details or {})
        if "old" in details and "new" in details:
            details = {"change": {"old": details.pop("old"), "new": details.pop("new")}, **details}
        items = []
        for key, value in details.items():
            if isinstance(value, dict) and set(value) == {"old", "new"}:
                value = f"{value['old'] or '—'} → {value['new'] or '—'}"
            items.append((key.replace("_", " "), str(value)))
        return items


INVITATION_TTL = timedelta(days=7)


class Invitation(models.Model):
    """An emailed invitation to join a tenant. The link's token is stored only as a SHA-256 hash.

    Pending means neither accepted nor revoked; a pending invitation past `expires` can be re-sent
    (new token, new expiry). At most one pending invitation per (tenant, email).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=models.Q(accepted__isnull=True, revoked__isnull=True),
                name="invitation_one_pending",
            ),
        ]
        indexes = [
            # The members page: a tenant's pending invitations, newest first.
            models.Index(fields=["tenant", "-created"], name="invitation_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.tenant} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted is None and self.revoked is None

    @property
    def is_expired(self) -> bool:
        return self.expires <= timezone.now()
