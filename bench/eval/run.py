"""Retrieval quality on the evaluation set: real PDFs and questions whose answer pages are known.

    .venv/bin/python bench/eval/run.py [--json] [--settled] [--k 6] [--show-misses]

Ingests bench/eval/pdfs/*.pdf into a fresh tenant (database docuchat_bench_eval on the embedded
server, or BENCH_DATABASE_URL), with the offline embedder, and, as soon as every document is
ready, asks each question of bench/eval/questions.jsonl through the chat's own search
(evaluation.search.retrieve). Prints hit@1, hit@k and MRR per question kind, per language and
overall, and how often a contents or index page (bench/eval/documents.json) ranked first while a
body page with the answer was among the k sources.

--settled also measures again after ANALYZE of the tenant's chunks, as autovacuum would leave them
minutes later (the "right after ingestion" figures come first).
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _setup import setup_django  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
parser.add_argument("--settled", action="store_true", help="measure again after ANALYZE")
parser.add_argument("--k", type=int, default=6, help="sources per question (the chat's TOP_K is 6)")
parser.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
parser.add_argument("--show-misses", action="store_true", help="list the questions not found in the top k")
ARGS = parser.parse_args()

os.environ["OPENAI_API_KEY"] = ""  # the offline embedder, as the targets are stated for
DATABASE = "docuchat_bench_eval"


def fresh_database() -> None:
    """Drop the benchmark database, so that no statistics of an earlier run remain (the chunk
    table's partitions are by hash of the tenant: a new tenant lands in an old partition)."""
    if os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"):
        print("Using the given database as it is: statistics of earlier runs may remain.", file=sys.stderr)
        return
    import psycopg
    from psycopg import sql

    from docuchat.lib.embedded_pg import embedded_database_url

    data_dir = Path(os.environ.get("DATA_DIR", HERE.parent.parent / "data")).resolve()
    with psycopg.connect(embedded_database_url(data_dir / "pg", "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


sys.path.insert(0, str(HERE.parent.parent))
fresh_database()
setup_django(DATABASE)

from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from chat import retrieval  # noqa: E402
from documents import pipeline, uploads  # noqa: E402
from documents.models import Document  # noqa: E402
from evaluation.scoring import Expected, rank_of, summarise  # noqa: E402
from evaluation.search import retrieve  # noqa: E402
from tenants.deletion import delete_tenant  # noqa: E402
from tenants.models import Tenant, create_tenant  # noqa: E402

SLUG = "bench-eval"


def say(text: str = "") -> None:
    if not ARGS.json:
        print(text, flush=True)


def chunk_partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'documents_chunk'::regclass"
        )
        return [table for (table,) in cursor.fetchall()] or ["documents_chunk"]


def autovacuum(enabled: bool) -> None:
    """Off while measuring "right after ingestion": autovacuum may otherwise analyze the new chunks
    in the middle of a run, by chance, and the figures would depend on its timing."""
    with connection.cursor() as cursor:
        for table in chunk_partitions():
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = {str(enabled).lower()})")


def fresh_tenant() -> Tenant:
    for old in Tenant.objects.filter(slug=SLUG):
        delete_tenant(old)
    owner = User.objects.for_email("eval@docuchat.test")
    return create_tenant(name="Evaluation", slug=SLUG, owner=owner)


def ingest(tenant: Tenant) -> tuple[dict[str, int], float]:
    """Every PDF of the set, indexed here; file name -> document id, and the seconds it took."""
    started = time.perf_counter()
    ids = {}
    for path in sorted((HERE / "pdfs").glob("*.pdf")):
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            outcome = uploads.accept(tenant, None, upload, path=str(path), enqueue=False)
        if outcome.document is None:
            sys.exit(f"{path.name}: {outcome.error}")
        document = pipeline.ingest(outcome.document.pk, stage=pipeline.Stage.ALL)
        if document is None or document.status != Document.Status.READY:
            sys.exit(f"{path.name}: not ready ({getattr(document, 'status', 'vanished')})")
        ids[path.name] = document.pk
        say(f"  ingested {path.name}: {document.page_count} pages, {document.chunks_total} chunks")
    return ids, time.perf_counter() - started


def load_questions() -> list[dict]:
    with ARGS.questions.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def non_body_pages() -> dict[str, set[int]]:
    manifest = json.loads((HERE / "documents.json").read_text())
    return {name: set(d["contents_pages"]) | set(d["index_pages"]) for name, d in manifest.items()}


def measure(tenant: Tenant, ids: dict[str, int], questions: list[dict]) -> dict:
    names = {pk: name for name, pk in ids.items()}
    skip = non_body_pages()
    groups: dict[str, list[int | None]] = defaultdict(list)
    contents_first = defaultdict(int)
    contents_first_any = 0
    misses = []
    started = time.perf_counter()
    for q in questions:
        expected = Expected(ids[q["document"]], frozenset(q["pages"]))
        results = retrieve(tenant, q["question"], ARGS.k)
        rank = rank_of(results, expected)
        for group in ("all", f"kind:{q['kind']}", f"lang:{q['lang']}"):
            groups[group].append(rank)
        if results and results[0].page_start in skip.get(names.get(results[0].document_id, ""), ()):
            contents_first_any += 1
            if rank is not None:
                contents_first[q["kind"]] += 1
                contents_first["all"] += 1
        if rank is None or rank > ARGS.k:
            top = [f"{names.get(f.document_id, '?')} p{f.page_start}-{f.page_end}" for f in results[:3]]
            expected_at = f"{q['document']} {q['pages']}"
            misses.append({"question": q["question"], "expected": expected_at, "top": top})
    seconds = time.perf_counter() - started
    scores = {group: summarise(ranks, ARGS.k).as_dict() for group, ranks in sorted(groups.items())}
    return {
        "scores": scores,
        "contents_first_with_body_match": dict(contents_first),
        "contents_first_any": contents_first_any,
        "search_ms_mean": round(seconds * 1000 / max(1, len(questions)), 1),
        "misses": misses,
    }


def settle(tenant: Tenant) -> None:
    """What autovacuum would have done by now: ANALYZE the chunk partitions, forget cached statistics."""
    with connection.cursor() as cursor:
        for table in chunk_partitions():
            cursor.execute(f"ANALYZE {table}")
    if hasattr(retrieval, "_common_words"):
        retrieval._common_words = (-retrieval.COMMON_WORDS_TTL, frozenset())


def table(label: str, result: dict) -> None:
    say(f"\n{label}")
    say(f"  {'group':<18} {'n':>4} {'hit@1':>7} {'hit@' + str(ARGS.k):>7} {'MRR':>7}")
    for group, s in result["scores"].items():
        say(f"  {group:<18} {s['questions']:>4} {s['hit_at_1']:>7.3f} {s['hit_at_k']:>7.3f} {s['mrr']:>7.3f}")
    first = result["contents_first_with_body_match"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(first.items()) if kind != "all") or "none"
    say(
        f"  contents/index page ranked first while a body page with the answer was in the top {ARGS.k}: "
        f"{first.get('all', 0)} ({kinds}); ranked first at all: {result['contents_first_any']}"
    )
    say(f"  mean search time per question: {result['search_ms_mean']} ms")
    if ARGS.show_misses:
        for miss in result["misses"]:
            say(f"    MISS {miss['question']!r} expected {miss['expected']}; got {', '.join(miss['top'])}")


def main() -> None:
    questions = load_questions()
    command = " ".join([".venv/bin/python bench/eval/run.py", *sys.argv[1:]])
    say(f"Evaluation set: {len(questions)} questions; {command}")
    autovacuum(False)
    tenant = fresh_tenant()
    ids, seconds = ingest(tenant)
    say(f"  ingestion took {seconds:.1f} s")
    report = {"k": ARGS.k, "questions": len(questions), "ingest_seconds": round(seconds, 1)}
    report["right_after_ingestion"] = measure(tenant, ids, questions)
    table("Right after ingestion (the moment every document is ready):", report["right_after_ingestion"])
    if ARGS.settled:
        settle(tenant)
        report["after_analyze"] = measure(tenant, ids, questions)
        table("After ANALYZE (as autovacuum leaves it minutes later):", report["after_analyze"])
    if ARGS.json:
        for part in ("right_after_ingestion", "after_analyze"):
            if part in report and not ARGS.show_misses:
                report[part].pop("misses")
        print(json.dumps(report, indent=2, ensure_ascii=False))
    delete_tenant(tenant)
    autovacuum(True)


if __name__ == "__main__":
    main()
