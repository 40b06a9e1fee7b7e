"""What the sentence-window re-ranking costs per question: chat.retrieval.rerank timed alone.

    .venv/bin/python bench/eval/rerank_time.py

Ingests the evaluation set once (as run.py), asks every question twice through the chat's search,
and prints the wall and CPU time spent in `rerank` (one query for the candidates' windows, one
matrix product), per question.
"""

import sys
import time
from pathlib import Path

sys.argv = [sys.argv[0]]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (sets up Django on the benchmark database)


def main() -> None:
    from chat import retrieval

    questions = run.load_questions()
    run.autovacuum(False)
    tenant = run.fresh_tenant()
    run.ingest(tenant)
    original = retrieval.rerank
    spent: list[tuple[float, float]] = []

    def timed(*args: object, **kwargs: object) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        out = original(*args, **kwargs)
        spent.append((time.perf_counter() - wall, time.process_time() - cpu))
        return out

    retrieval.rerank = timed
    for _ in range(2):
        spent.clear()
        for question in questions:
            retrieval.search(tenant, question["question"], k=6)
        walls, cpus = sorted(s[0] for s in spent), [s[1] for s in spent]
        n = len(walls)
        print(
            f"rerank, {n} questions: wall mean {1000 * sum(walls) / n:.2f} ms,"
            f" p50 {1000 * walls[n // 2]:.2f}, p95 {1000 * walls[int(n * 0.95)]:.2f};"
            f" CPU mean {1000 * sum(cpus) / n:.2f} ms",
            flush=True,
        )
    run.delete_tenant(tenant)
    run.autovacuum(True)


main()
