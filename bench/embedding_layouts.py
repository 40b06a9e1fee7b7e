# ruff: noqa: S608  (every SQL string here is built from numbers and constants)
"""Two ways to keep vectors of several embedding models side by side, measured on the same vectors.

- `per-model`: a table per model (what documents/vectors.py does): (tenant_id, chunk_id,
  document_id, embedding vector(N)), HASH-partitioned by tenant into 64, an HNSW index on it.
- `shared`: one table for every model with an unsized `vector` column and a model id, partitioned
  the same way, with a partial expression index per model, cast to its size (pgvector's documented
  pattern): USING hnsw ((embedding::vector(N)) vector_cosine_ops) WHERE model_id = M.

For each layout, with `--chunks` vectors of model A (512 dimensions, shaped as in
bench/retrieval_data.py, 100 tenants):
1. load and index them (INSERT ... SELECT, then the HNSW index): seconds, and table and index size;
2. the chat's search (tenant-filtered, 24 candidates, iterative scan): p50/p95 over 300 questions;
3. insert 20 documents of 100 chunks one document a statement, the index maintained: ms per document;
4. add model B (256 dimensions): what it costs before its first vector can be written;
5. write model B's vectors for one tenant (1% of the chunks, as a switch does);
6. remove model A: one tenant's vectors (after its switch), then the whole model.

    .venv/bin/python bench/embedding_layouts.py --chunks 100000

Runs in its own database (docuchat_bench_layouts); tables are rebuilt each run.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=100_000)
parser.add_argument("--queries", type=int, default=300)
ARGS = parser.parse_args()

from _setup import report, setup_django  # noqa: E402

setup_django("docuchat_bench_layouts")

import retrieval_data  # noqa: E402
from django.db import connection, transaction  # noqa: E402

PARTITIONS = 64
TENANTS = retrieval_data.TENANTS
POOL = retrieval_data.POOL


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # None: no placeholders, so `%` is the modulo operator


def scalar(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def vectors_sql(start: int, stop: int, dims: int) -> str:
    """Rows (tenant_id, chunk_id, document_id, embedding) for r in start..stop-1, as in retrieval_data.
    A `dims` below 512 keeps the first `dims` components (a stand-in for a second model)."""
    vector = (
        "l2_normalize((SELECT v FROM bench_topic WHERE id = topic)"
        " + (SELECT v FROM bench_noise WHERE id = a) + (SELECT v FROM bench_noise WHERE id = b)"
        f" + (SELECT v FROM bench_jitter WHERE id = (a * 7 + b) % {POOL}))"
    )
    if dims < 512:
        vector = f"l2_normalize(subvector({vector}, 1, {dims}))"
    return f"""
        SELECT t, r, t * 10 + (r / {TENANTS}) % 10, {vector}
        FROM (SELECT r, r % {TENANTS} AS t,
                     (r % {TENANTS} * 17 + floor(random() * 40)::int * 101) % 2000 AS topic,
                     floor(random() * {POOL})::int AS a, floor(random() * {POOL})::int AS b
              FROM generate_series({start}, {stop - 1}) r) rows
    """


def partitions(table: str) -> None:
    for r in range(PARTITIONS):
        execute(
            f"CREATE TABLE {table}_p{r} PARTITION OF {table}"
            f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {r})"
        )
    execute(f"ALTER TABLE {table} ALTER embedding SET STORAGE MAIN")


class PerModel:
    name = "per-model"

    def create(self, model: int, dims: int) -> None:
        table = f"lay_m{model}"
        execute(f"DROP TABLE IF EXISTS {table}")
        execute(f"CREATE TABLE {table} (tenant_id bigint NOT NULL, chunk_id bigint NOT NULL,"
                f" document_id bigint NOT NULL, embedding vector({dims}) NOT NULL,"
                f" PRIMARY KEY (tenant_id, chunk_id)) PARTITION BY HASH (tenant_id)")  # fmt: skip
        partitions(table)

    def index(self, model: int, dims: int) -> None:
        execute(f"CREATE INDEX lay_m{model}_hnsw ON lay_m{model} USING hnsw (embedding vector_cosine_ops)"
                " WITH (m = 16, ef_construction = 64)")  # fmt: skip

    def insert(self, model: int, dims: int, rows_sql: str) -> None:
        execute(f"INSERT INTO lay_m{model} (tenant_id, chunk_id, document_id, embedding) {rows_sql}")

    def search_sql(self, model: int, dims: int) -> str:
        return (f"SELECT chunk_id, embedding <=> %s::vector AS d FROM lay_m{model} WHERE tenant_id = %s"
                " ORDER BY d LIMIT 24")  # fmt: skip

    def tables(self, model: int) -> list[str]:
        return [f"lay_m{model}"]

    def remove_tenant(self, model: int, tenant: int) -> None:
        execute(f"DELETE FROM lay_m{model} WHERE tenant_id = %s", [tenant])

    def drop(self, model: int) -> None:
        execute(f"DROP TABLE lay_m{model}")


class Shared:
    name = "shared"

    def create(self, model: int, dims: int) -> None:
        if model == 1:
            execute("DROP TABLE IF EXISTS lay_shared")
            execute(
                "CREATE TABLE lay_shared (model_id int NOT NULL, tenant_id bigint NOT NULL,"
                " chunk_id bigint NOT NULL, document_id bigint NOT NULL, embedding vector NOT NULL,"
                " PRIMARY KEY (tenant_id, model_id, chunk_id)) PARTITION BY HASH (tenant_id)"
            )
            partitions("lay_shared")

    def index(self, model: int, dims: int) -> None:
        execute(
            f"CREATE INDEX lay_shared_m{model} ON lay_shared USING hnsw ((embedding::vector({dims}))"
            f" vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE model_id = {model}"
        )

    def insert(self, model: int, dims: int, rows_sql: str) -> None:
        execute(f"INSERT INTO lay_shared (model_id, tenant_id, chunk_id, document_id, embedding)"
                f" SELECT {model}, * FROM ({rows_sql}) v")  # fmt: skip

    def search_sql(self, model: int, dims: int) -> str:
        return (f"SELECT chunk_id, embedding::vector({dims}) <=> %s::vector({dims}) AS d FROM lay_shared"
                f" WHERE tenant_id = %s AND model_id = {model} ORDER BY d LIMIT 24")  # fmt: skip

    def tables(self, model: int) -> list[str]:
        return ["lay_shared"]

    def remove_tenant(self, model: int, tenant: int) -> None:
        execute("DELETE FROM lay_shared WHERE tenant_id = %s AND model_id = %s", [tenant, model])

    def drop(self, model: int) -> None:
        execute(f"DELETE FROM lay_shared WHERE model_id = {model}")
        execute(f"DROP INDEX lay_shared_m{model}")


def size(layout, model: int) -> tuple[int, int]:
    """(heap bytes, index bytes) of the layout's tables (all their partitions)."""
    heap = index = 0
    for table in layout.tables(model):
        heap += scalar("SELECT sum(pg_table_size(relid)) FROM pg_partition_tree(%s) WHERE isleaf", [table])
        index += scalar("SELECT sum(pg_indexes_size(relid)) FROM pg_partition_tree(%s) WHERE isleaf", [table])
    return heap, index


def questions(count: int) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute(
            f"SELECT t, embedding::text FROM ({vectors_sql(0, count, 512)}) q(t, r, d, embedding)", None
        )
        return cursor.fetchall()


def search_times(layout, asked: list[tuple[int, str]]) -> list[float]:
    sql, times = layout.search_sql(1, 512), []
    for tenant, vector in asked:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:  # as chat.retrieval runs it
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                           " set_config('hnsw.ef_search', '40', true)")  # fmt: skip
            cursor.execute(sql, [vector, tenant])
            cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times


def build(layout, chunks: int) -> None:
    mb = 1024 * 1024
    execute("SELECT setseed(0.42)")  # the same vectors in both layouts
    layout.create(1, 512)
    load = sum(_load(layout, start, min(chunks, start + 100_000)) for start in range(0, chunks, 100_000))
    execute("SET maintenance_work_mem = '1GB'")
    built = _time(layout.index, 1, 512)
    for table in layout.tables(1):
        execute(f"ANALYZE {table}")
    heap, index = size(layout, 1)
    sizes = f"table {heap / mb:.0f} MB, indexes {index / mb:.0f} MB"
    print(f"{layout.name:<10} 1. load {load:.1f} s, HNSW build {built:.1f} s; {sizes}", flush=True)


def in_turn(layouts: list, asked: list[tuple[int, str]]) -> None:
    """Steps 2 and 3 for both layouts, alternating question by question (and document by
    document), so that the machine's load falls on both alike."""
    for tenant, vector in asked[:50]:
        for layout in layouts:
            search_times(layout, [(tenant, vector)])
    searched: dict[str, list[float]] = {layout.name: [] for layout in layouts}
    for n, question in enumerate(asked[50:]):
        for layout in layouts if n % 2 else layouts[::-1]:
            searched[layout.name] += search_times(layout, [question])
    inserted: dict[str, list[float]] = {layout.name: [] for layout in layouts}
    for d in range(20):
        start = 10_000_000 + d * 100
        for layout in layouts if d % 2 else layouts[::-1]:
            inserted[layout.name].append(
                _time(layout.insert, 1, 512, vectors_sql(start, start + 100, 512)) * 1000
            )
    for layout in layouts:
        report(f"{layout.name} 2. search", searched[layout.name], "top-24, tenant-filtered, iterative scan")
    for layout in layouts:
        report(
            f"{layout.name} 3. insert 100", inserted[layout.name], "a document's vectors, index maintained"
        )


def model_b_and_removal(layout, chunks: int) -> None:
    """Steps 4 to 6: a second model comes, a tenant switches to it, the first model goes."""
    added = _time(layout.create, 2, 256) + _time(layout.index, 2, 256)
    print(f"{layout.name:<10} 4. add model B (256 dimensions): {added * 1000:.0f} ms before its first vector")
    one_tenant = f"SELECT * FROM ({vectors_sql(0, chunks, 256)}) v WHERE v.t = 7"
    switch = _time(layout.insert, 2, 256, one_tenant)
    print(f"{layout.name:<10} 5. model B's vectors for one tenant ({chunks // TENANTS:,}): {switch:.2f} s")
    removed = _time(layout.remove_tenant, 1, 7)
    dropped = _time(layout.drop, 1)
    tenant_ms, all_ms = removed * 1000, dropped * 1000
    print(f"{layout.name:<10} 6. remove model A: one tenant {tenant_ms:.0f} ms; all of it {all_ms:.0f} ms")


def _load(layout, start: int, stop: int) -> float:
    return _time(layout.insert, 1, 512, vectors_sql(start, stop, 512))


def _time(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def main() -> None:
    retrieval_data.store_pools("subspace")
    asked = questions(ARGS.queries + 50)
    layouts = [PerModel(), Shared()]
    print(f"{ARGS.chunks:,} vectors of model A (512 dimensions), 100 tenants; {len(asked) - 50} questions")
    for layout in layouts:
        build(layout, ARGS.chunks)
    in_turn(layouts, asked)
    for layout in layouts:
        model_b_and_removal(layout, ARGS.chunks)
    execute("DROP TABLE IF EXISTS lay_m2, lay_shared")


if __name__ == "__main__":
    main()
