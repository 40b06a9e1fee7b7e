"""Budgets enforced before money is spent.

Every metered call adds to the period's Meter rows (see `add_used`). Before a call, `reserve`
adds its estimate to `*_reserved` with one conditional UPDATE per budget:

    UPDATE usage_meter SET tokens_reserved = tokens_reserved + :estimate
    WHERE <this period> AND tokens_used + tokens_reserved + :estimate <= :limit

PostgreSQL re-checks the WHERE clause on the locked row, so two concurrent calls near the limit
cannot both pass: the second sees the first one's reservation. The caller releases the
reservation once the call has been recorded (or has failed).

Each reservation is also a QuotaReservation row, deleted by whoever gives it back: `release`, or,
when the process holding it died, `release_expired` (the workers' recovery sweep) after
RESERVATION_SECONDS. Deleting the row first means the estimate is given back exactly once.
"""

import calendar
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format

from tenants.models import Tenant
from usage.models import Meter, Quota

MONTH, MEMBER_DAY, ASSISTANT_MONTH = Meter.Scope.MONTH, Meter.Scope.MEMBER_DAY, Meter.Scope.ASSISTANT_MONTH
WARN_AT = Decimal("0.8")
RESERVATION_SECONDS = 3600  # far longer than any chat turn or document run that holds one
LIMITS = ("monthly_tokens", "monthly_cost", "member_daily_tokens")


class QuotaExceeded(Exception):
    """A budget would be exceeded. `str()` is the message to show: which budget, when it resets."""

    def __init__(self, budget: str, limit: str, resets_at: datetime) -> None:
        self.budget, self.limit, self.resets_at = budget, limit, resets_at
        when = date_format(timezone.localtime(resets_at), "DATETIME_FORMAT")
        super().__init__(f"This would exceed the {budget} ({limit}). It resets on {when}.")


MeterKey = tuple[int, int | None, int | None, str, date]  # tenant_id, user_id, subject_id, scope, period


@dataclass(frozen=True)
class Budget:
    """A monthly budget of the caller's own, inside the workspace's: an assistant's (its website
    widget), or an API key's. Its meter is the row (tenant, `scope`, month, subject_id)."""

    scope: str  # a Meter.Scope other than MONTH and MEMBER_DAY
    subject_id: int  # the assistant's (or API key's) id
    tokens: int | None = None
    cost: Decimal | None = None
    name: str = "assistant's monthly budget"  # for the refusal: "This would exceed the <name> (...)"

    @property
    def is_limited(self) -> bool:
        return self.tokens is not None or self.cost is not None


@dataclass
class Reservation:
    keys: list[MeterKey] = field(default_factory=list)
    tokens: int = 0
    cost: Decimal = Decimal(0)
    id: int | None = None  # its QuotaReservation row


def month_start(day: date | None = None) -> date:
    return (day or timezone.localdate()).replace(day=1)


def next_month_start(day: date | None = None) -> datetime:
    start = month_start(day)
    following = start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    return timezone.make_aware(datetime.combine(following, time.min))


def next_day_start(day: date | None = None) -> datetime:
    return timezone.make_aware(datetime.combine((day or timezone.localdate()) + timedelta(days=1), time.min))


def _ensure_meter(
    tenant_id: int, user_id: int | None, subject_id: int | None, scope: str, period: date
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO usage_meter (tenant_id, user_id, subject_id, scope, period_start, tokens_used,"
            " tokens_reserved, cost_used, cost_reserved) VALUES (%s, %s, %s, %s, %s, 0, 0, 0, 0)"
            " ON CONFLICT ON CONSTRAINT meter_unique_period DO NOTHING",
            [tenant_id, user_id, subject_id, scope, period],
        )


def _meter(key: MeterKey) -> Any:
    tenant_id, user_id, subject_id, scope, period = key
    return Meter.objects.filter(
        tenant_id=tenant_id, user_id=user_id, subject_id=subject_id, scope=scope, period_start=period
    )


# The check and the reservation in one statement. Raw SQL: this runs before every model call,
# and the ORM's query building cost more than the database work (bench/usage_dashboard.py).
_RESERVE_SQL = """
    UPDATE usage_meter
       SET tokens_reserved = tokens_reserved + %(tokens)s, cost_reserved = cost_reserved + %(cost)s
     WHERE tenant_id = %(tenant)s AND user_id IS NOT DISTINCT FROM %(user)s
       AND subject_id IS NOT DISTINCT FROM %(subject)s AND scope = %(scope)s AND period_start = %(period)s
       AND (%(limit_tokens)s::bigint IS NULL
            OR tokens_used + tokens_reserved + %(tokens)s <= %(limit_tokens)s)
       AND (%(limit_cost)s::numeric IS NULL
            OR cost_used + cost_reserved + %(cost)s <= %(limit_cost)s)
"""


def _reserve_one(
    key: MeterKey, tokens: int, cost: Decimal, limit_tokens: int | None, limit_cost: Any
) -> bool:
    """The conditional UPDATE (creating the period's row on first use). False if over a limit."""
    tenant_id, user_id, subject_id, scope, period = key
    params = {"tokens": tokens, "cost": cost, "tenant": tenant_id, "user": user_id,
              "subject": subject_id, "scope": scope, "period": period, "limit_tokens": limit_tokens,
              "limit_cost": limit_cost}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, params)
        if cursor.rowcount:
            return True
        _ensure_meter(*key)
        cursor.execute(_RESERVE_SQL, params)
        return bool(cursor.rowcount)


def _no_fsync_wait() -> None:
    """Reservations are transient: a crash loses the calls they cover too. So their commit need not
    wait for the WAL flush, which is most of a reservation's latency (see bench/usage_dashboard.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


def _limits(tenant_id: int) -> Quota | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT monthly_tokens, monthly_cost, member_daily_tokens FROM usage_quota WHERE tenant_id = %s",
            [tenant_id],
        )
        row = cursor.fetchone()
    return Quota(tenant_id=tenant_id, **dict(zip(LIMITS, row, strict=True))) if row else None


def reserve(
    tenant: Tenant, user: Any, tokens: int, cost: Decimal = Decimal(0), budgets: Sequence[Budget] = ()
) -> Reservation:
    """Reserve an estimate against every budget that applies, or raise QuotaExceeded (all or nothing).

    The workspace's monthly budget and, for a person (`user`), the daily budget per member apply
    when set (usage.Quota); `budgets` adds the caller's own (an assistant's, an API key's).
    """
    quota = _limits(tenant.id)
    own = [b for b in budgets if b.is_limited]
    if (quota is None or not quota.is_limited) and not own:
        return Reservation()
    today = timezone.localdate()
    reservation = Reservation(tokens=tokens, cost=cost)
    user_id = getattr(user, "pk", None)
    with transaction.atomic():
        _no_fsync_wait()
        for key, limit_tokens, limit_cost, refusal in _applicable(tenant.id, user_id, quota, own, today):
            if not _reserve_one(
                key, tokens, cost if key[3] != MEMBER_DAY else Decimal(0), limit_tokens, limit_cost
            ):
                raise refusal()
            reservation.keys.append(key)
        if reservation.keys:
            reservation.id = _record(tenant.id, user_id, reservation)
    return reservation


Limit = tuple[MeterKey, int | None, Any, Callable[[], QuotaExceeded]]


def _applicable(
    tenant_id: int, user_id: int | None, quota: Quota | None, own: Sequence[Budget], today: date
) -> list[Limit]:
    """(meter, token limit, cost limit, the refusal) for each budget that applies, workspace first."""
    limits: list[Limit] = []
    if quota is not None and (quota.monthly_tokens is not None or quota.monthly_cost is not None):
        key: MeterKey = (tenant_id, None, None, MONTH, month_start(today))
        limits.append(
            (key, quota.monthly_tokens, quota.monthly_cost, lambda: _monthly_exceeded(quota, today))
        )
    if quota is not None and quota.member_daily_tokens is not None and user_id is not None:
        key = (tenant_id, user_id, None, MEMBER_DAY, today)
        limit = f"{number_format(quota.member_daily_tokens, force_grouping=True)} tokens"
        refusal = QuotaExceeded("daily budget per member", limit, next_day_start(today))
        limits.append((key, quota.member_daily_tokens, None, lambda: refusal))
    for budget in own:
        key = (tenant_id, None, budget.subject_id, budget.scope, month_start(today))
        limits.append((key, budget.tokens, budget.cost, lambda b=budget: _own_exceeded(b, today)))
    return limits


def _record(tenant_id: int, user_id: int | None, reservation: Reservation) -> int:
    """The reservation's row, for `release` or, if its process dies, the sweep."""
    keys = [
        [user, subject, scope, period.isoformat()] for _, user, subject, scope, period in reservation.keys
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO usage_quotareservation (tenant_id, user_id, tokens, cost, keys, expires)"
            " VALUES (%s, %s, %s, %s, %s, now() + make_interval(secs => %s)) RETURNING id",
            [tenant_id, user_id, reservation.tokens, reservation.cost, json.dumps(keys), RESERVATION_SECONDS],
        )
        return cursor.fetchone()[0]


def _own_exceeded(budget: Budget, today: date) -> QuotaExceeded:
    parts = []
    if budget.tokens is not None:
        parts.append(f"{number_format(budget.tokens, force_grouping=True)} tokens")
    if budget.cost is not None:
        parts.append(f"${budget.cost}")
    return QuotaExceeded(budget.name, " / ".join(parts), next_month_start(today))


def _monthly_exceeded(quota: Quota, today: date) -> QuotaExceeded:
    parts = []
    if quota.monthly_tokens is not None:
        parts.append(f"{number_format(quota.monthly_tokens, force_grouping=True)} tokens")
    if quota.monthly_cost is not None:
        parts.append(f"${quota.monthly_cost}")
    return QuotaExceeded("workspace's monthly budget", " / ".join(parts), next_month_start(today))


def release(reservation: Reservation) -> None:
    """Give back a reservation once the call it covered has been recorded (or failed); once only."""
    if not reservation.keys:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _no_fsync_wait()
        cursor.execute("DELETE FROM usage_quotareservation WHERE id = %s", [reservation.id])
        if cursor.rowcount:  # not already given back by the sweep
            _give_back(cursor, reservation)
    reservation.keys.clear()


def release_expired() -> int:
    """Give back the reservations of processes that died holding them; return how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        _no_fsync_wait()
        cursor.execute(
            "DELETE FROM usage_quotareservation WHERE expires < now() RETURNING tenant_id, tokens, cost, keys"
        )
        expired = cursor.fetchall()
        for tenant_id, tokens, cost, keys in expired:
            meters: list[MeterKey] = [
                (tenant_id, user, subject, scope, date.fromisoformat(period))
                for user, subject, scope, period in (json.loads(keys) if isinstance(keys, str) else keys)
            ]
            _give_back(cursor, Reservation(keys=meters, tokens=tokens, cost=cost))
    return len(expired)


def _give_back(cursor: Any, reservation: Reservation) -> None:
    for tenant_id, user_id, subject_id, scope, period in reservation.keys:
        cursor.execute(
            "UPDATE usage_meter SET tokens_reserved = tokens_reserved - %s,"
            " cost_reserved = cost_reserved - %s WHERE tenant_id = %s"
            " AND user_id IS NOT DISTINCT FROM %s AND subject_id IS NOT DISTINCT FROM %s"
            " AND scope = %s AND period_start = %s",
            [
                reservation.tokens,
                reservation.cost if scope != MEMBER_DAY else 0,
                tenant_id,
                user_id,
                subject_id,
                scope,
                period,
            ],
        )


@contextmanager
def released(reservation: Reservation) -> Iterator[Reservation]:
    """`with released(reserve(...)):` the call, then give the estimate back however it ended."""
    try:
        yield reservation
    finally:
        release(reservation)


def add_used(
    tenant_id: int, user_id: int | None, tokens: int, cost: Decimal, subject: tuple[str, int] | None = None
) -> None:
    """Count recorded usage on this month's and (for a person) today's meters, and on the month's
    meter of `subject` (scope, id: the assistant or API key it was metered to)."""
    today = timezone.localdate()
    keys: list[MeterKey] = [(tenant_id, None, None, MONTH, month_start(today))]
    if user_id is not None:
        keys.append((tenant_id, user_id, None, MEMBER_DAY, today))
    if subject is not None:
        keys.append((tenant_id, None, subject[1], subject[0], month_start(today)))
    with connection.cursor() as cursor:
        for tenant, user, subject_id, scope, period in keys:
            cursor.execute(
                "INSERT INTO usage_meter (tenant_id, user_id, subject_id, scope, period_start, tokens_used,"
                " tokens_reserved, cost_used, cost_reserved) VALUES (%s, %s, %s, %s, %s, %s, 0, %s, 0)"
                " ON CONFLICT ON CONSTRAINT meter_unique_period DO UPDATE SET"
                " tokens_used = usage_meter.tokens_used + EXCLUDED.tokens_used,"
                " cost_used = usage_meter.cost_used + EXCLUDED.cost_used",
                [tenant, user, subject_id, scope, period, tokens, cost if scope != MEMBER_DAY else 0],
            )


@dataclass
class QuotaStatus:
    """This month's usage against the workspace budget, for the dashboard and the banner."""

    tokens_used: int
    cost_used: Decimal
    monthly_tokens: int | None
    monthly_cost: Decimal | None
    resets_at: datetime

    @property
    def fraction(self) -> float | None:
        """The larger of tokens/limit and cost/limit; None when there is no monthly budget."""
        parts = []
        if self.monthly_tokens:
            parts.append(self.tokens_used / self.monthly_tokens)
        if self.monthly_cost:
            parts.append(float(self.cost_used / self.monthly_cost))
        return max(parts) if parts else None

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else round(self.fraction * 100)

    @property
    def warning(self) -> bool:
        return self.fraction is not None and self.fraction >= float(WARN_AT)


def status(tenant: Tenant, quota: Quota | None = None) -> QuotaStatus:
    quota = quota or _limits(tenant.id)
    meter = _meter((tenant.id, None, None, MONTH, month_start())).first()
    return QuotaStatus(
        tokens_used=meter.tokens_used if meter else 0,
        cost_used=meter.cost_used if meter else Decimal(0),
        monthly_tokens=quota.monthly_tokens if quota else None,
        monthly_cost=quota.monthly_cost if quota else None,
        resets_at=next_month_start(),
    )


def warn_if_near_limit(tenant: Tenant) -> bool:
    """At 80% of the monthly budget, email the owners once per period (through a task). True if
    this call claimed the period.

    It runs after every metered call: without a monthly budget it stops after one small query.
    """
    quota = _limits(tenant.id)
    if quota is None or (quota.monthly_tokens is None and quota.monthly_cost is None):
        return False
    current = status(tenant, quota)
    if not current.warning:
        return False
    period = month_start()
    claimed = Quota.objects.filter(tenant=tenant).exclude(warned_period=period).update(warned_period=period)
    if claimed:
        from usage.tasks import email_budget_warning

        transaction.on_commit(lambda: email_budget_warning.enqueue(tenant.pk))  # no SMTP on this path
    return bool(claimed)


def email_owners(tenant: Tenant, current: QuotaStatus) -> None:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from tenants.models import Membership

    owners = Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).values_list(
        "user__email", flat=True
    )
    context = {"tenant": tenant, "status": current}
    send_mail(
        subject=f"DocuChat: {tenant.name} has used {current.percent}% of its monthly budget",
        message=render_to_string("usage/email/warning.txt", context),
        from_email=None,
        recipient_list=list(owners),
    )
