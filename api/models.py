"""API keys: a workspace's credentials for scripts, integrations and OpenAI-compatible clients.

A key is shown once, when it is created or rotated; only its SHA-256 is stored (a key is 32 random
bytes, so a fast hash is enough: there is nothing to guess). Its prefix (`dck_` and the first
characters) is kept so that people can tell their keys apart and secret scanners can find leaked ones.
"""

import hashlib
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Tenant
from usage.models import Meter
from usage.quotas import Budget

PREFIX = "dck_"
SHOWN = 12  # characters of the key kept in the clear: "dck_" and 8 more


class Scope(models.TextChoices):
    CHAT = "chat", "Chat"
    DOCUMENTS_READ = "documents:read", "Read documents"
    DOCUMENTS_WRITE = "documents:write", "Upload and delete documents"
    USAGE_READ = "usage:read", "Read usage"
    ASSISTANTS_WRITE = "assistants:write", "Manage assistants"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ApiKey(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    scopes = models.JSONField(default=list)  # list[Scope]
    # The one assistant it may ask (and whose documents it sees); empty: any of the workspace's.
    assistant = models.ForeignKey(
        "assistants.Assistant", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(max_length=SHOWN)
    secret_hash = models.CharField(max_length=64, unique=True)
    # After a rotation, the old secret still works until `previous_valid_until`.
    previous_hash = models.CharField(max_length=64, blank=True, default="")
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)  # empty: never
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(default=60)
    # Browser origins allowed to call the API with this key (CORS); empty: none.
    allowed_origins = models.JSONField(default=list, blank=True)  # list[str]
    # Inside the workspace's budget; empty means no budget of its own.
    monthly_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    monthly_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # Authenticating with a rotated key's old secret during its grace period.
            models.Index(
                fields=["previous_hash"], condition=~models.Q(previous_hash=""), name="apikey_previous_hash"
            ),
            # The API keys page: a workspace's keys, newest first.
            models.Index(fields=["tenant", "-created"], name="apikey_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)

    def budgets(self) -> list[Budget]:
        """Its own monthly budget, inside the workspace's, for its questions and its uploads."""
        if self.monthly_tokens is None and self.monthly_cost is None:
            return []
        return [
            Budget(
                Meter.Scope.KEY_MONTH,
                self.pk,
                self.monthly_tokens,
                self.monthly_cost,
                "API key's monthly budget",
            )
        ]

    @property
    def in_grace(self) -> bool:
        return bool(self.previous_hash) and (self.previous_valid_until or timezone.now()) > timezone.now()
