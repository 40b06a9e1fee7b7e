from argparse import ArgumentParser
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from docuchat.lib import csvsafe
from usage.models import UsageRecord
from usage.reports import COST, TOKENS

COLUMNS = ["tenant", "kind", "model", "calls", "tokens", "cost_usd"]


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--since must be a date like 2026-11-01, got {raw!r}.") from None


class Command(BaseCommand):
    help = "Usage per tenant, kind and model, as a table or CSV."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", help="Only this tenant's slug")
        parser.add_argument("--since", help="Start date YYYY-MM-DD (default: the first of this month)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(
        self, *args: object, tenant: str | None, since: str | None, format: str, **opts: object
    ) -> None:
        start = _day(since) if since else timezone.localdate().replace(day=1)
        records = UsageRecord.objects.filter(
            created__gte=timezone.make_aware(datetime.combine(start, time.min))
        )
        if tenant:
            if not UsageRecord.objects.filter(tenant_slug=tenant).exists() and not _tenant_exists(tenant):
                raise CommandError(f"Unknown tenant {tenant!r}.")
            records = records.filter(tenant_slug=tenant)
        rows = [
            [r["tenant_slug"], r["kind"], r["model"], r["calls"], r["tokens"], f"{r['cost']:.6f}"]
            for r in records.values("tenant_slug", "kind", "model")
            .annotate(calls=Count("id"), tokens=TOKENS, cost=COST)
            .order_by("tenant_slug", "kind", "model")
        ]
        if format == "csv":
            csvsafe.write(self.stdout, COLUMNS, rows)
            return
        self._table(rows, start)

    def _table(self, rows: list[list[object]], start: date) -> None:
        self.stdout.write(f"Usage since {start:%Y-%m-%d}")
        if not rows:
            self.stdout.write("No usage recorded.")
            return
        table = [COLUMNS, *[[str(c) for c in row] for row in rows]]
        widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
        for i, row in enumerate(table):
            self.stdout.write(
                "  ".join(
                    c.rjust(w) if i and j >= 3 else c.ljust(w)
                    for j, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        total_tokens = sum(int(r[4]) for r in rows)
        total_cost = sum(float(r[5]) for r in rows)
        self.stdout.write(f"Total: {total_tokens:,} tokens, ${total_cost:.6f}")


def _tenant_exists(slug: str) -> bool:
    from tenants.models import Tenant

    return Tenant.objects.filter(slug=slug).exists()
