"""A caller's own budget (an assistant's) is reserved like the workspace's, inside it, and given
back by its call or by the sweep; usage metered to the assistant counts on its meter."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assistants.models import Assistant
from docuchat.testing import Cast
from documents import recovery
from usage import quotas
from usage.metering import Kind, record
from usage.models import Meter, Quota, QuotaReservation, UsageRecord

pytestmark = pytest.mark.django_db
SCOPE = Meter.Scope.ASSISTANT_MONTH


def budget(assistant: Assistant, tokens: int | None = None, cost: str | None = None) -> quotas.Budget:
    return quotas.Budget(SCOPE, assistant.pk, tokens, Decimal(cost) if cost else None)


def reserved(cast: Cast) -> dict[str, int]:
    return {m.scope: m.tokens_reserved for m in Meter.objects.filter(tenant=cast.acme)}


def test_it_refuses_over_the_assistants_budget_even_without_a_workspace_budget(cast: Cast) -> None:
    widget = Assistant.objects.get(tenant=cast.acme)
    held = quotas.reserve(cast.acme, None, 600, budgets=[budget(widget, tokens=1000)])
    assert reserved(cast) == {SCOPE: 600}

    with pytest.raises(quotas.QuotaExceeded, match=r"assistant's monthly budget \(1,000 tokens\)"):
        quotas.reserve(cast.acme, None, 401, budgets=[budget(widget, tokens=1000)])
    other = Assistant.objects.create(tenant=cast.acme, name="Sales")
    quotas.release(quotas.reserve(cast.acme, None, 900, budgets=[budget(other, tokens=1000)]))

    quotas.release(held)
    assert reserved(cast) == {SCOPE: 0}


def test_it_refuses_over_the_workspace_budget_first_and_holds_nothing(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=500)
    widget = Assistant.objects.get(tenant=cast.acme)

    with pytest.raises(quotas.QuotaExceeded, match="workspace's monthly budget"):
        quotas.reserve(cast.acme, None, 600, budgets=[budget(widget, tokens=10_000)])

    assert all(v == 0 for v in reserved(cast).values()) and not QuotaReservation.objects.exists()


def test_it_refuses_over_a_cost_budget(cast: Cast) -> None:
    widget = Assistant.objects.get(tenant=cast.acme)
    with pytest.raises(quotas.QuotaExceeded, match=r"\(\$0.50\)"):
        quotas.reserve(cast.acme, None, 10, Decimal("0.6"), budgets=[budget(widget, cost="0.50")])


def test_the_sweep_gives_back_an_assistant_reservation_whose_process_died(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=10_000)
    widget = Assistant.objects.get(tenant=cast.acme)
    quotas.reserve(cast.acme, None, 700, budgets=[budget(widget, tokens=1000)])
    assert reserved(cast) == {"month": 700, SCOPE: 700}

    QuotaReservation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    recovery.sweep()

    assert reserved(cast) == {"month": 0, SCOPE: 0}


def test_usage_metered_to_the_assistant_counts_on_its_meter_and_no_persons(cast: Cast) -> None:
    widget = Assistant.objects.get(tenant=cast.acme)
    usage = record(cast.acme, None, Kind.CHAT, "gpt-4o-mini", 1000, 100, assistant=widget)

    assert usage.assistant == widget and usage.user is None
    used = {m.scope: (m.tokens_used, m.subject_id) for m in Meter.objects.filter(tenant=cast.acme)}
    assert used == {"month": (1100, None), SCOPE: (1100, widget.pk)}
    widget.delete()
    assert UsageRecord.objects.get().assistant is None  # billing history stays
