"""GET /api/v1/usage: the workspace's tokens and cost, in total and per day."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from api import access
from api.auth import KeyAuth, key_of
from api.errors import ApiError
from api.models import Scope
from api.schemas import Error, UsageDay, UsageOut, UsageTotals
from usage.reports import COST

router = Router(tags=["usage"])
MAX_DAYS = 366
SUMS = {
    "prompt": Coalesce(Sum("prompt_tokens"), 0),  # not named as the fields: Django refuses that
    "completion": Coalesce(Sum("completion_tokens"), 0),
    "tokens": Coalesce(Sum(F("prompt_tokens") + F("completion_tokens")), 0),
    "cost": COST,
    "calls": Count("id"),
}


class Window(Schema):
    since: date | None = None
    until: date | None = None


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@router.get(
    "", auth=KeyAuth(Scope.USAGE_READ), summary="Usage of the workspace",
    response={200: UsageOut, 400: Error, 401: Error, 403: Error, 429: Error},
)  # fmt: skip
def usage(request: HttpRequest, window: Query[Window]) -> UsageOut:
    """`since` and `until` are days (YYYY-MM-DD), both included; by default the last 30 days."""
    until = window.until or timezone.localdate()
    try:
        since = window.since or until - timedelta(days=29)
        start, end = _start(since), _start(until + timedelta(days=1))
    except (OverflowError, ValueError):
        raise ApiError(400, "invalid_range", "Those days are out of range.") from None
    if since > until:
        raise ApiError(400, "invalid_range", "'since' must not be after 'until'.")
    if (until - since).days >= MAX_DAYS:
        raise ApiError(400, "invalid_range", f"Ask for at most {MAX_DAYS} days at a time.")
    records = access.usage_records(key_of(request)).filter(created__gte=start, created__lt=end)
    totals = _named(records.aggregate(**SUMS))
    rows = records.annotate(day=TruncDate("created")).values("day").annotate(**SUMS).order_by("day")
    days = [UsageDay(day=row["day"], **_named(row)) for row in rows]
    return UsageOut(since=since, until=until, totals=UsageTotals(**totals), days=days)


def _named(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt_tokens": row["prompt"], "completion_tokens": row["completion"], "tokens": row["tokens"],
        "cost": row["cost"], "calls": row["calls"],
    }  # fmt: skip
