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
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    # Metered to an assistant (its website widget's visitors) instead of a person: `user` is empty.
    assistant = models.ForeignKey(
        "assistants.Assistant", null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    # Metered to an API key (api/): `user` is empty.
    api_key = models.ForeignKey(
        "api.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
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


class Quota(models.Model):
    """A tenant's budgets. Empty limits mean unlimited. Edited in admin and by `manage.py set_quota`."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="quota")
    monthly_tokens = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Tokens per calendar month for the whole workspace."
    )
    monthly_cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="USD per calendar month."
    )
    member_daily_tokens = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Tokens per member per day (optional)."
    )
    # The month (its first day) whose 80% warning email has been sent, so it goes once a period.
    warned_period = models.DateField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Quota for {self.tenant}"

    @property
    def is_limited(self) -> bool:
        return any(v is not None for v in (self.monthly_tokens, self.monthly_cost, self.member_daily_tokens))


class Meter(models.Model):
    """Running totals for one budget period, updated in the same statement that checks the limit.

    One row per (tenant, month) for the workspace budget, per (tenant, user, day) for the member
    budget, and per (tenant, subject, month) for a budget of the caller's own: an assistant's
    (`subject_id` is its id). `reserved` holds estimates of calls in flight; settling moves them to `used`.
    """

    class Scope(models.TextChoices):
        MONTH = "month", "Month"
        MEMBER_DAY = "member_day", "Member day"
        ASSISTANT_MONTH = "assistant_month", "Assistant month"
        KEY_MONTH = "key_month", "API key month"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The assistant (or API key) of a budget of its own; no foreign key: the scope says which table.
    subject_id = models.BigIntegerField(null=True, blank=True)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    period_start = models.DateField()
    tokens_used = models.BigIntegerField(default=0)
    tokens_reserved = models.BigIntegerField(default=0)
    cost_used = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal(0))
    cost_reserved = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal(0))

    class Meta:
        constraints = [
            # The quota check's lookup, and the guarantee of one counter per period.
            models.UniqueConstraint(
                fields=["tenant", "scope", "period_start", "user", "subject_id"],
                name="meter_unique_period",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.scope} {self.period_start}: {self.tokens_used}"


class QuotaReservation(models.Model):
    """One reservation in flight (usage/quotas.py): the estimate a call holds against its budgets.

    `release` deletes it and gives the estimate back. If the process holding it dies first, the
    workers' recovery sweep gives it back once it `expires`, so a crash cannot shrink a budget.
    """

    # No database constraints: this row is written before every model call, and the foreign-key
    # checks cost more than the insert; deleting a tenant or user still cascades (Django's collector).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    tokens = models.BigIntegerField()
    cost = models.DecimalField(max_digits=14, decimal_places=8)
    # The meters it is held on: [[user_id, subject_id, scope, period (ISO date)], ...].
    keys = models.JSONField(default=list)
    expires = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires"], name="quotareservation_expires")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.tokens} tokens until {self.expires:%Y-%m-%d %H:%M}"
