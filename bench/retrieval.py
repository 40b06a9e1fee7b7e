"""Retrieval at scale: tenant-filtered top-6 over 100k and 1M synthetic chunks across 100 tenants.

Prints, per scale: the p50/p95 latency of the vector search exactly as the chat runs it (HNSW with
iterative scan, inside its transaction, SET LOCAL included), its recall@6 against exact search
(the same filter with the index turned off), the full hybrid search (vector + full text + loading
the hits), and the plan, which must show the HNSW index. Targets: p95 < 20 ms at 1M, recall >= 0.95.

    .venv/bin/python bench/retrieval.py --chunks 100000  [--queries 300]
    .venv/bin/python bench/retrieval.py --chunks 1000000

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
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

from _setup import percentile, report  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from chat import retrieval  # noqa: E402
from documents import vectors  # noqa: E402

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
    hybrid = [timed(retrieval.hybrid_search, t, w, v, store=STORE)[0] for t, v, w in questions]
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


if __name__ == "__main__":
    run_scale(ARGS.chunks, ARGS.queries)
