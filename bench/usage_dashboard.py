"""Usage dashboard at scale: 1M usage rows across 100 tenants.

Prints the p95 render time of /t/<slug>/usage/ and of a 30-day CSV export, the query plan of
the main aggregation, and the p95 of the quota check on the chat path.

    .venv/bin/python bench/usage_dashboard.py [--rows 1000000] [--tenants 100] [--runs 40]
"""

import argparse
import io
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import report, setup_django

setup_django("docuchat_bench_usage")

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from tenants.models import Membership, Tenant  # noqa: E402
from usage import quotas  # noqa: E402
from usage.models import Quota, UsageRecord  # noqa: E402

KINDS = [("chat", "gpt-4o-mini"), ("query_embedding", "text-embedding-3-small"),
         ("document_embedding", "text-embedding-3-small")]  # fmt: skip


def load(rows: int, tenants: int) -> list[Tenant]:
    """Create tenants with 5 members each and `rows` usage records over 60 days, with COPY."""
    existing = list(Tenant.objects.filter(slug__startswith="bench-").order_by("id"))
    if len(existing) == tenants and UsageRecord.objects.count() == rows:
        print(f"reusing {rows:,} rows across {tenants} tenants")
        return existing
    UsageRecord.objects.all().delete()
    Tenant.objects.filter(slug__startswith="bench-").delete()
    started = time.perf_counter()
    made, members = [], {}
    for t in range(tenants):
        tenant = Tenant.objects.create(name=f"Bench {t}", slug=f"bench-{t}")
        users = [User.objects.for_email(f"u{i}@bench-{t}.test") for i in range(5)]
        for i, user in enumerate(users):
            Membership.objects.create(tenant=tenant, user=user, role="owner" if i == 0 else "member")
        made.append(tenant)
        members[tenant.id] = [u.id for u in users]
    now = timezone.now()
    rng = random.Random(7)
    buf = io.StringIO()
    for _ in range(rows):
        tenant = rng.choice(made)
        kind, model = rng.choice(KINDS)
        created = now - timedelta(seconds=rng.randrange(60 * 86400))
        prompt = rng.randrange(10, 4000)
        completion = rng.randrange(0, 800) if kind == "chat" else 0
        user = rng.choice(members[tenant.id]) if kind != "document_embedding" else "\\N"
        buf.write(
            f"{tenant.id}\t{tenant.slug}\t{user}\t{kind}\t{model}\t{prompt}\t{completion}\t0.0001\t\\N\t{created.isoformat()}\n"
        )
    buf.seek(0)
    columns = ", ".join(
        ["tenant_id", "tenant_slug", "user_id", "kind", "model", "prompt_tokens", "completion_tokens", "cost",
         "document_id", "created"]
    )  # fmt: skip
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY usage_usagerecord ({columns}) FROM STDIN") as copy:
            while data := buf.read(1 << 20):
                copy.write(data)
        cursor.execute("ANALYZE usage_usagerecord")
    print(f"loaded {rows:,} rows across {tenants} tenants in {time.perf_counter() - started:.1f}s")
    return made


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    tenants = load(args.rows, args.tenants)
    tenant = tenants[len(tenants) // 2]
    owner = Membership.objects.filter(tenant=tenant, role="owner").first().user
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    page_url = f"/t/{tenant.slug}/usage/"
    assert client.get(page_url).status_code == 200
    page = timed(lambda: client.get(page_url), args.runs)
    csv_url = f"/t/{tenant.slug}/usage/export.csv"
    csv_rows = b"".join(client.get(csv_url).streaming_content).count(b"\n") - 1
    export = timed(lambda: b"".join(client.get(csv_url).streaming_content), max(10, args.runs // 4))
    print()
    report("usage page", page, "(target p95 < 150 ms)")
    report("CSV export, 30 days", export, f"({csv_rows:,} rows)")
    explain(tenant)
    quota_check(tenant, owner, args.runs * 25)


def explain(tenant: Tenant) -> None:
    records = UsageRecord.objects.filter(tenant=tenant)
    from usage.reports import totals

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    sql_capture = []
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        totals(records)
    sql_capture = ctx.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql_capture)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print("\nquery plan of the main aggregation (totals for 24h/7d/30d):")
    print("  " + plan.replace("\n", "\n  "))


def quota_check(tenant: Tenant, user: User, runs: int) -> None:
    Quota.objects.update_or_create(
        tenant=tenant, defaults={"monthly_tokens": 10**12, "member_daily_tokens": 10**9}
    )
    quotas.release(quotas.reserve(tenant, user, 1))
    reservations = []
    check = timed(lambda: reservations.append(quotas.reserve(tenant, user, 2000)), runs)
    for r in reservations:
        quotas.release(r)
    both = timed(lambda: quotas.release(quotas.reserve(tenant, user, 2000)), runs)
    print()
    report("quota check (reserve)", check, "(target p95 < 2 ms)", digits=2)
    report("quota reserve + release", both, "", digits=2)


if __name__ == "__main__":
    main()
