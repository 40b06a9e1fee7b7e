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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(default=timezone.now)

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
