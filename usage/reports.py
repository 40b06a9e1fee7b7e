"""Aggregations behind the usage dashboard, the CSV export and the statements.

Every function takes an already tenant-scoped queryset (see tenants.access.usage_records),
so nothing here can reach another tenant's rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from usage.models import UsageRecord

Kind = UsageRecord.Kind
ZERO = Decimal(0)
TOKENS = Coalesce(Sum(F("prompt_tokens") + F("completion_tokens")), 0)
COST = Coalesce(Sum("cost"), ZERO)


@dataclass
class Window:
    label: str
    tokens: int
    cost: Decimal


def totals(records: QuerySet[UsageRecord], now: datetime | None = None) -> list[Window]:
    """Tokens and cost for the last 24 hours, 7 days and 30 days, in one query."""
    now = now or timezone.now()
    spans = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
    aggregates = {}
    for key, span in spans.items():
        recent = Q(created__gte=now - span)
        aggregates[f"t{key}"] = Coalesce(Sum(F("prompt_tokens") + F("completion_tokens"), filter=recent), 0)
        aggregates[f"c{key}"] = Coalesce(Sum("cost", filter=recent), ZERO)
    row = records.filter(created__gte=now - spans["30d"]).aggregate(**aggregates)
    labels = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
    return [Window(labels[k], row[f"t{k}"], row[f"c{k}"]) for k in spans]


@dataclass
class Day:
    day: date
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def daily(records: QuerySet[UsageRecord], days: int = 30) -> list[Day]:
    """Tokens per day and kind for the last `days` days (oldest first, empty days included)."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        records.filter(created__date__gte=first)
        .annotate(day=TruncDate("created"))
        .values("day", "kind")
        .annotate(tokens=TOKENS)
    )
    series = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(days)}
    for row in rows:
        if row["day"] in series:
            series[row["day"]].by_kind[row["kind"]] = row["tokens"]
    return list(series.values())


def per_member(records: QuerySet[UsageRecord], since: datetime) -> list[dict[str, object]]:
    """One line per member, one per assistant for its website widget's usage, and one per API key
    (a key's or a widget's usage has no member: each is its own line)."""
    return list(
        records.filter(created__gte=since)
        .values("user__email", "assistant__name", "api_key__name", "api_key__prefix")
        .annotate(tokens=TOKENS, cost=COST, calls=Count("id"))
        .order_by("-tokens")
    )


def per_document(records: QuerySet[UsageRecord], since: datetime) -> list[dict[str, object]]:
    return list(
        records.filter(created__gte=since, kind=Kind.DOCUMENT_EMBEDDING, document__isnull=False)
        .values("document__public_id", "document__title")
        .annotate(tokens=TOKENS, cost=COST)
        .order_by("-tokens")[:50]
    )


@dataclass
class Statement:
    month: date
    tokens: int = 0
    cost: Decimal = ZERO
    by_model: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.month == timezone.localdate().replace(day=1)

    @property
    def slug(self) -> str:
        return self.month.strftime("%Y-%m")


def statements(records: QuerySet[UsageRecord]) -> list[Statement]:
    """One statement per month with usage, newest first; the current month is open."""
    rows = (
        records.annotate(month=TruncMonth("created"))
        .values("month", "model")
        .annotate(tokens=TOKENS, cost=COST)
        .order_by("-month", "model")
    )
    months: dict[date, Statement] = {}
    for row in rows:
        month = (
            timezone.localtime(row["month"]).date() if isinstance(row["month"], datetime) else row["month"]
        )
        statement = months.setdefault(month, Statement(month))
        statement.by_model[row["model"]] = (row["tokens"], row["cost"])
        statement.tokens += row["tokens"]
        statement.cost += row["cost"]
    return list(months.values())
