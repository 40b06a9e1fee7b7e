import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from docuchat.testing import Cast
from tenants.models import AuditEntry
from usage import metering
from usage.models import Quota

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_sets_and_clears_budgets(cast: Cast) -> None:
    out = run(
        "set_quota",
        "acme",
        "--monthly-tokens",
        "2_000_000",
        "--monthly-cost",
        "$50",
        "--member-daily-tokens",
        "100000",
    )
    assert "monthly tokens 2000000, monthly cost $50, member daily tokens 100000" in out
    quota = Quota.objects.get(tenant=cast.acme)
    assert (quota.monthly_tokens, str(quota.monthly_cost), quota.member_daily_tokens) == (
        2_000_000,
        "50.00",
        100_000,
    )
    run("set_quota", "acme", "--monthly-cost", "none")
    quota.refresh_from_db()
    assert (quota.monthly_tokens, quota.monthly_cost) == (2_000_000, None)
    entry = AuditEntry.objects.filter(tenant=cast.acme, action="quota.changed").latest("created")
    assert entry.details == {"before": {"monthly_cost": "50.00"}, "after": {"monthly_cost": "unlimited"}}


def test_it_shows_budgets_without_changing_them(cast: Cast) -> None:
    assert "monthly tokens unlimited" in run("set_quota", "acme")
    assert not AuditEntry.objects.filter(action="quota.changed").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--monthly-tokens", "5"], "Unknown tenant 'nope'"),
        (["acme", "--monthly-tokens", "lots"], "expected a whole number of tokens or 'none'"),
        (["acme", "--monthly-tokens", "-5"], "expected a whole number of tokens"),
        (["acme", "--monthly-cost", "1.234"], "at most 2 decimals"),
    ],
)
def test_it_explains_bad_quota_arguments(cast: Cast, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("set_quota", *args)


def test_it_reports_usage_as_a_table_and_as_csv(cast: Cast) -> None:
    metering.record(cast.acme, cast.owner, metering.Kind.CHAT, "gpt-4o-mini", 1000, 1000)
    metering.record(cast.globex, None, metering.Kind.DOCUMENT_EMBEDDING, "text-embedding-3-small", 5000)
    table = run("usage_report")
    assert "acme" in table and "globex" in table and "Total: 7,000 tokens" in table
    rows = list(csv.reader(io.StringIO(run("usage_report", "--tenant", "acme", "--format", "csv"))))
    assert rows == [
        ["tenant", "kind", "model", "calls", "tokens", "cost_usd"],
        ["acme", "chat", "gpt-4o-mini", "1", "2000", "0.000750"],
    ]


def test_it_explains_bad_report_arguments(cast: Cast) -> None:
    with pytest.raises(CommandError, match="--since must be a date"):
        run("usage_report", "--since", "last week")
    with pytest.raises(CommandError, match="Unknown tenant 'nope'"):
        run("usage_report", "--tenant", "nope")
    assert "No usage recorded" in run("usage_report", "--since", "2026-01-01", "--tenant", "acme")
