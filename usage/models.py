from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from documents.models import Document
from tenants.models import Tenant


class UsageRecord(models.Model):
    """One model call: who spent how many tokens on what, and what it cost."""

    class Kind(models.TextChoices):
        CHAT = "chat", "Chat completion"
        QUERY_EMBEDDING = "query_embedding", "Query embedding"
        DOCUMENT_EMBEDDING = "document_embedding", "Document embedding"

    # Kept (anonymised) when the tenant or user is deleted: usage is billing history.
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.SET_NULL, related_name="usage_records")
    tenant_slug = models.CharField(max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    model = models.CharField(max_length=100)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal(0))
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The usage dashboard and CSV export: one tenant's records in a time window.
            models.Index(fields=["tenant", "created"], name="usage_tenant_created"),
            # The per-member breakdown and the per-member daily budget.
            models.Index(fields=["tenant", "user", "created"], name="usage_tenant_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.model} {self.total_tokens} tokens"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
