"""The Documents page of a workspace with 2,000 documents: before and after search and pages.

"Before" is the code of an earlier commit (default: main's merge base, which listed every
document on one page), run from a copy of that commit (`git archive`, nothing checked out) in a
subprocess on the same database; "after" is this checkout. Rounds alternate between the two, so
both see the same machine load. Each figure is the time of a whole request through Django's test
client (middleware, queries, templates), signed in as the workspace's owner.

    .venv/bin/python bench/documents_list.py [--documents 2000] [--runs 30] [--rounds 3] [--base REV]
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLUG = "bench-docs"
AFTER_URLS = {
    "page 1 (newest first)": "",
    "search 'manual'": "?q=manual",
    "failed only": "?status=failed",
    "sorted by title": "?sort=title",
    "page 40": "?page=40",
}


def timings(client, url: str, runs: int) -> list[float]:
    for _ in range(3):  # warm-up: caches, connections, templates
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def signed_in_client():
    from django.test import Client

    from tenants.models import Membership

    owner = Membership.objects.get(tenant__slug=SLUG, role="owner").user
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    return client


def measure_only(runs: int) -> None:
    """In the baseline's copy: time its Documents page and print the figures as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
    import django

    django.setup()
    client = signed_in_client()
    url = f"/t/{SLUG}/documents/"
    size = len(client.get(url).content)
    print(json.dumps({"times": timings(client, url, runs), "bytes": size}))


def load(count: int) -> None:
    from accounts.models import User
    from documents.models import Document
    from tenants.models import Tenant, create_tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant and Document.objects.filter(tenant=tenant).count() == count:
        print(f"reusing {count:,} documents in {SLUG}")
        return
    if tenant:
        tenant.delete()
    tenant = create_tenant(
        name="Bench documents", slug=SLUG, owner=User.objects.for_email("owner@bench-docs.test")
    )
    words = ["Pump", "Turbine", "Safety", "Quarterly", "Warranty", "Valve", "Network", "Audit", "Policy"]
    kinds = ["manual", "report", "contract", "procedure", "handbook"]
    statuses = ["ready"] * 90 + ["failed"] * 5 + ["queued"] * 3 + ["processing"] * 2
    documents = [
        Document(
            tenant=tenant, title=f"{words[i % 9]} {kinds[i % 5]} {i:04}",
            original_name=f"{words[i % 9].lower()}-{i:04}.pdf",
            sha256=f"{i:064x}", size_bytes=100_000 + i, page_count=1 + i % 400, status=statuses[i % 100],
            error="No extractable text." if statuses[i % 100] == "failed" else "", chunks_total=i % 300,
        )
        for i in range(count)
    ]  # fmt: skip
    Document.objects.bulk_create(documents, batch_size=1000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE documents_document")
    print(f"loaded {count:,} documents into {SLUG}")


def baseline_copy(rev: str, into: Path) -> str:
    sha = subprocess.run(
        ["git", "rev-parse", rev], cwd=HERE.parent, capture_output=True, text=True, check=True
    )
    archive = subprocess.run(
        ["git", "archive", sha.stdout.strip()], cwd=HERE.parent, capture_output=True, check=True
    )
    tar_path = into / "base.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "code", filter="data")
    return sha.stdout.strip()[:10]


def run_baseline(code: Path, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "DJANGO_SETTINGS_MODULE": "docuchat.settings"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure-only", "--runs", str(runs)],
        cwd=code, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the baseline failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        return measure_only(args.runs)

    sys.path.insert(0, str(HERE))
    from _setup import percentile, report, setup_django

    setup_django("docuchat_bench_documents")
    load(args.documents)
    from django.conf import settings

    os.environ["DATA_DIR"] = str(settings.DATA_DIR)  # the baseline uses the same DATABASE_URL, too
    base = (
        args.base
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=HERE.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    client = signed_in_client()
    url = f"/t/{SLUG}/documents/"
    before: list[float] = []
    after: dict[str, list[float]] = {name: [] for name in AFTER_URLS}
    with tempfile.TemporaryDirectory() as tmp:
        label = baseline_copy(base, Path(tmp))
        for _ in range(args.rounds):
            result = run_baseline(Path(tmp) / "code", args.runs)
            before += result["times"]
            for name, query in AFTER_URLS.items():
                after[name] += timings(client, url + query, args.runs)
    size_after = len(client.get(url).content)
    n = args.runs * args.rounds
    print(f"\n{args.documents:,} documents, {n} requests per line, {args.rounds} alternating rounds")
    report(f"before ({label}), all rows", before, f"({result['bytes'] / 1024:.0f} KiB of HTML)")
    for name, values in after.items():
        note = f"({size_after / 1024:.0f} KiB of HTML)" if name.startswith("page 1") else ""
        report(f"after: {name}", values, note)
    ratio50 = percentile(before, 50) / percentile(after["page 1 (newest first)"], 50)
    ratio95 = percentile(before, 95) / percentile(after["page 1 (newest first)"], 95)
    print(f"\npage 1 is {ratio50:.1f}x faster at p50 and {ratio95:.1f}x at p95 than the page before")


if __name__ == "__main__":
    main()
