"""Metering: the one write path for usage records, and the price table."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from tenants.models import Tenant
from usage import quotas
from usage.models import Meter, UsageRecord

Kind = UsageRecord.Kind
PER_MILLION = Decimal(1_000_000)
# A record metered to one of these (instead of a person) also counts on that one's own monthly
# meter, which its budget is checked against (usage/quotas.py, Budget).
SUBJECTS = (("assistant_id", Meter.Scope.ASSISTANT_MONTH), ("api_key_id", Meter.Scope.KEY_MONTH))


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """USD cost from MODEL_PRICES (per 1M tokens); unlisted models cost 0."""
    price = settings.MODEL_PRICES.get(model)
    if not price:
        return Decimal(0)
    return (
        Decimal(str(price.get("input", 0))) * prompt_tokens
        + Decimal(str(price.get("output", 0))) * completion_tokens
    ) / PER_MILLION


def record(
    tenant: Tenant,
    user: Any,
    kind: UsageRecord.Kind,
    model: str,
    prompt_tokens: int,
    completion_tokens: int = 0,
    **links: Any,
) -> UsageRecord:
    """Record one model call. `user` is None for operator or system work, and for calls metered
    to an assistant (assistant=<Assistant> or assistant_id=<id>).

    `links` names what the call was for: document=<Document>, message=<Message>.
    """
    with transaction.atomic():
        usage = UsageRecord.objects.create(
            tenant=tenant,
            tenant_slug=tenant.slug,
            user=user if getattr(user, "pk", None) else None,
            kind=kind,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=cost_of(model, prompt_tokens, completion_tokens),
            **links,
        )
        subject = next(((scope, getattr(usage, f)) for f, scope in SUBJECTS if getattr(usage, f)), None)
        quotas.add_used(tenant.id, usage.user_id, usage.total_tokens, usage.cost, subject)
        quotas.warn_if_near_limit(tenant)
    return usage


Call = tuple[UsageRecord.Kind, str, int, int]  # kind, model, prompt tokens, completion tokens


def record_calls(tenant: Tenant, user: Any, calls: Sequence[Call], **links: Any) -> list[UsageRecord]:
    """Several model calls made for one thing (a chat answer: its question's embedding and its
    completion), recorded as `record` records each, in one INSERT and one count on each meter.

    Inside a caller's transaction it adds no savepoint of its own (two round trips): an error
    here fails the caller's whole transaction instead.
    """
    if not calls:
        return []
    person = user if getattr(user, "pk", None) else None
    with transaction.atomic(savepoint=False):
        usages = UsageRecord.objects.bulk_create(
            [
                UsageRecord(
                    tenant=tenant,
                    tenant_slug=tenant.slug,
                    user=person,
                    kind=kind,
                    model=model,
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    cost=cost_of(model, prompt, completion),
                    **links,
                )
                for kind, model, prompt, completion in calls
            ]
        )
        first = usages[0]
        subject = next(((scope, getattr(first, f)) for f, scope in SUBJECTS if getattr(first, f)), None)
        tokens = sum(u.total_tokens for u in usages)
        quotas.add_used(tenant.id, first.user_id, tokens, sum((u.cost for u in usages), Decimal(0)), subject)
        quotas.warn_if_near_limit(tenant)
    return usages
