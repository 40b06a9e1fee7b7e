from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from usage import metering, quotas
from usage.models import Meter, Quota

pytestmark = pytest.mark.django_db
NOV_20 = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))


def spend(cast: Cast, tokens: int, user: object = None, model: str = "offline-hash-v1") -> None:
    metering.record(cast.acme, user, metering.Kind.CHAT, model, tokens, 0)


@time_machine.travel(NOV_20)
def test_it_allows_calls_within_the_monthly_token_budget(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    spend(cast, 600)
    with quotas.released(quotas.reserve(cast.acme, cast.owner, 400)):
        pass
    meter = Meter.objects.get(tenant=cast.acme, scope="month")
    assert (meter.tokens_used, meter.tokens_reserved) == (600, 0)


@time_machine.travel(NOV_20)
def test_it_refuses_a_call_that_would_exceed_the_monthly_budget_naming_it_and_the_reset(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    spend(cast, 600)
    with pytest.raises(quotas.QuotaExceeded) as refused:
        quotas.reserve(cast.acme, cast.owner, 401)
    message = str(refused.value)
    assert "monthly budget (1,000 tokens)" in message
    assert "resets on Dec. 1, 2026" in message
    assert Meter.objects.get(tenant=cast.acme, scope="month").tokens_reserved == 0


@time_machine.travel(NOV_20)
def test_it_refuses_by_cost_when_the_budget_is_in_dollars(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_cost=Decimal("1.00"))
    metering.record(cast.acme, None, metering.Kind.CHAT, "gpt-4o", 100_000, 50_000)  # $0.25 + $0.50
    assert Meter.objects.get(tenant=cast.acme, scope="month").cost_used == Decimal("0.75")
    quotas.release(quotas.reserve(cast.acme, None, 0, Decimal("0.25")))
    with pytest.raises(quotas.QuotaExceeded, match=r"\$1.00"):
        quotas.reserve(cast.acme, None, 0, Decimal("0.26"))


@time_machine.travel(NOV_20)
def test_it_enforces_the_member_daily_budget_per_person(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, member_daily_tokens=500)
    spend(cast, 450, user=cast.member)
    with pytest.raises(quotas.QuotaExceeded, match="daily budget per member") as refused:
        quotas.reserve(cast.acme, cast.member, 100)
    assert "Nov. 21, 2026" in str(refused.value)
    quotas.release(quotas.reserve(cast.acme, cast.owner, 100))  # someone else still has budget


def test_it_resets_at_the_period_boundary(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000, member_daily_tokens=800)
    with time_machine.travel(datetime(2026, 11, 30, 23, 59, tzinfo=ZoneInfo("UTC"))):
        spend(cast, 900, user=cast.member)
        with pytest.raises(quotas.QuotaExceeded):
            quotas.reserve(cast.acme, cast.member, 200)
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 1, tzinfo=ZoneInfo("UTC"))):
        quotas.release(quotas.reserve(cast.acme, cast.member, 800))
        assert quotas.status(cast.acme).tokens_used == 0


@time_machine.travel(NOV_20)
def test_it_counts_in_flight_reservations(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    first = quotas.reserve(cast.acme, cast.owner, 700)
    with pytest.raises(quotas.QuotaExceeded):
        quotas.reserve(cast.acme, cast.member, 301)
    quotas.release(first)
    quotas.release(quotas.reserve(cast.acme, cast.member, 301))


@time_machine.travel(NOV_20)
def test_it_does_nothing_for_a_tenant_without_limits(cast: Cast, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(1):
        reservation = quotas.reserve(cast.acme, cast.owner, 10**9)
    assert reservation.keys == []


@pytest.fixture
def tasks_run_at_once(settings: SettingsWrapper) -> None:
    """The warning email is a task: run it as it is enqueued (usage/tests/test_budget_warning_task.py
    shows it really is queued)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@time_machine.travel(NOV_20)
@pytest.mark.usefixtures("tasks_run_at_once")
def test_it_warns_the_owners_once_at_80_percent(cast: Cast, django_capture_on_commit_callbacks) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    with django_capture_on_commit_callbacks(execute=True):
        spend(cast, 799)
    assert mail.outbox == []
    assert not quotas.status(cast.acme).warning
    with django_capture_on_commit_callbacks(execute=True):
        spend(cast, 1)
        spend(cast, 50)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@acme.test"]
    assert "85% of its monthly budget" in mail.outbox[0].subject  # as it stands when the task runs
    assert quotas.status(cast.acme).percent == 85


@pytest.mark.usefixtures("tasks_run_at_once")
def test_it_warns_again_in_the_next_period(cast: Cast, django_capture_on_commit_callbacks) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(NOV_20):
            spend(cast, 900)
        with time_machine.travel(datetime(2026, 12, 2, tzinfo=ZoneInfo("UTC"))):
            spend(cast, 850)
    assert len(mail.outbox) == 2
