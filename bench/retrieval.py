"""Retrieval at scale: tenant-filtered top-6 over 100k and 1M synthetic chunks across 100 tenants.

Prints, per scale: the p50/p95 latency of the vector search exactly as the chat runs it (HNSW with
iterative scan, inside its transaction, SET LOCAL included), its recall@6 against exact search
(the same filter with the index turned off), the full hybrid search (vector + full text + loading
the hits), and the plan, which must show the HNSW index. Targets: p95 < 20 ms at 1M, recall >= 0.95.

    .venv/bin/python bench/retrieval.py --chunks 100000  [--queries 300]
    .venv/bin/python bench/retrieval.py --chunks 1000000
    .venv/bin/python bench/retrieval.py --chunks 1000000 --against docuchat_bench_1000k_before

Data: see bench/retrieval_data.py (built once per scale, in its own database: docuchat_bench_100k ...).
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=100_000)
parser.add_argument("--queries", type=int, default=300)
parser.add_argument(
    "--against",
    metavar="DATABASE",
    help="also time, question by question in turn, the vector search as it ran before migration "
    "documents/0005 (the vector in the chunk row) on this database: a copy of the same data not "
    "migrated past 0004, on the same server",
)
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

from _setup import percentile, report  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from chat import retrieval  # noqa: E402
from documents import vectors  # noqa: E402
from tenants.models import Tenant  # noqa: E402

STORE = None  # the model's VectorStore, once the data is there


def vector_search(tenant: int, vector: list[float], limit: int) -> list[int]:
    """The vector half of chat.retrieval.hybrid_search, as it runs there (the model's own table)."""
    with transaction.atomic():
        retrieval.use_iterative_scan(limit)
        rows = retrieval.nearest_chunks(STORE, tenant, vector, limit)
    return [cid for cid, _ in rows]


def exact_search(tenant: int, vector: list[float], limit: int) -> list[int]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        return [cid for cid, _ in retrieval.nearest_chunks(STORE, tenant, vector, limit)]


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def plan(tenant: int, vector: list[float], limit: int) -> str:
    with transaction.atomic():
        retrieval.use_iterative_scan(limit)
        return vectors.explain(STORE, tenant, vector, limit)


def measure(questions: list, limit: int) -> tuple[list[float], list[float]]:
    """Latency of the vector search fetching `limit` candidates, and recall@k of its best k."""
    k = settings.TOP_K
    times, recalls = [], []
    for tenant, vector, _ in questions:
        ms, found = timed(vector_search, tenant, vector, limit)
        times.append(ms)
        exact = exact_search(tenant, vector, k)
        recalls.append(len(set(found[:k]) & set(exact)) / len(exact))
    return times, recalls


BEFORE_0005 = (
    "SELECT id, embedding <=> %s::vector AS distance FROM documents_chunk"
    " WHERE tenant_id = %s AND embedding_model = %s ORDER BY distance LIMIT %s"
)  # what chat.retrieval's ORM query was before the vectors moved to a table per model


def compare(questions: list, limit: int) -> None:
    """Today's vector search and the one before 0005, alternating question by question, so that the
    machine's load falls on both alike. Tenants are matched by slug (their ids may differ)."""
    from django.db import connections

    connections.settings["before"] = {**connections.settings["default"], "NAME": ARGS.against}
    before = connections["before"]
    with before.cursor() as cursor:
        cursor.execute("SELECT slug, id FROM tenants_tenant WHERE slug LIKE 'bench-%%'")
        ids = dict(cursor.fetchall())
    slugs = dict(Tenant.objects.filter(slug__startswith="bench-").values_list("id", "slug"))

    def search_before(tenant: int, vector: list[float]) -> None:
        with transaction.atomic(using="before"), before.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                " set_config('hnsw.ef_search', %s, true)",
                [str(max(40, limit))],
            )
            literal = "[" + ",".join(repr(float(x)) for x in vector) + "]"
            cursor.execute(BEFORE_0005, [literal, ids[slugs[tenant]], retrieval_data.MODEL, limit])
            cursor.fetchall()

    now, then = [], []
    for n, (tenant, vector, _) in enumerate(questions):  # which goes first alternates too
        if n % 2:
            then.append(timed(search_before, tenant, vector)[0])
        now.append(timed(vector_search, tenant, vector, limit)[0])
        if not n % 2:
            then.append(timed(search_before, tenant, vector)[0])
    print(f"\n== the same {len(questions)} questions in turn: this layout and the one before 0005 ==")
    report("table per model (now)", now, "the chat's way, 24 candidates")
    report("vector in the chunk row", then, f"before 0005, on {ARGS.against}")
    ratio50, ratio95 = percentile(now, 50) / percentile(then, 50), percentile(now, 95) / percentile(then, 95)
    print(f"{'now / before':<28} p50 {ratio50:8.2f} x   p95 {ratio95:8.2f} x   target p95 <= 1.2 x")


def report_recall(label: str, recalls: list[float]) -> None:
    mean = sum(recalls) / len(recalls)
    print(f"{label:<28} mean {mean:.3f}   p5 {percentile(recalls, 5):.3f}   target >= 0.95")


def run_scale(chunks: int, count: int) -> None:
    global STORE
    build = retrieval_data.ensure(chunks)
    STORE = retrieval_data.store()
    if build:
        print(f"Built in: load {build['load']:.0f} s, HNSW {build['hnsw']:.0f} s, GIN {build['gin']:.1f} s")
    k, candidates = settings.TOP_K, settings.TOP_K * retrieval.CANDIDATES_PER_RESULT
    questions = [(t, json.loads(v), words) for t, v, words in retrieval_data.queries(count + 50)]
    for tenant, vector, _ in questions[:50]:  # warm the caches
        vector_search(tenant, vector, candidates)
    questions = questions[50:]
    chat_times, chat_recalls = measure(questions, candidates)
    bare_times, bare_recalls = measure(questions, k)
    hybrid = [timed(retrieval.hybrid_search, Tenant(pk=t), w, v, store=STORE)[0] for t, v, w in questions]
    print(f"\n== {chunks:,} chunks, {retrieval_data.TENANTS} tenants, {len(questions)} questions ==")
    report(f"top-{k}, tenant-filtered", chat_times, f"the chat's way: best {k} of {candidates} from HNSW")
    report_recall(f"recall@{k} vs exact", chat_recalls)
    report(f"bare LIMIT {k}", bare_times, "for comparison: stops at the first 6 that pass the filter")
    report_recall(f"bare LIMIT {k} recall@{k}", bare_recalls)
    report("hybrid (vector + text)", hybrid, "the whole search the chat waits for")
    explained = plan(questions[0][0], questions[0][1], candidates)
    print("plan:", " | ".join(line.strip()[:110] for line in explained.splitlines()[:4]))
    scanned = sorted(set(re.findall(r" on (documents_vectors_\d+_p\d+)", explained)))
    print("HNSW index used:", "_embedding_idx" in explained, "| partitions read:", ", ".join(scanned))
    if ARGS.against:
        compare(questions, candidates)


if __name__ == "__main__":
    run_scale(ARGS.chunks, ARGS.queries)
