"""Synthetic chunks for the retrieval and chat benchmarks, loaded fast into a separate database.

The vectors are shaped like real embeddings: clustered, and of low intrinsic dimension. (Uniform
random vectors have no neighbours worth the name: every point is about as far as every other, and
no index can find what is not there.) 2,000 random unit "topics"; each of the 100 tenants writes
about 40 of them, and tenants overlap. A chunk is normalise(topic + a + b + jitter), where a and b
come from a pool of vectors spanning a 32-dimensional subspace (cosine to the topic about 0.8) and
jitter is small and isotropic. `--noise isotropic` builds the stress case instead: a and b uniform
in all 512 dimensions, where within a topic every chunk is about as near as every other.

The pools (4,000 vectors) are made in Python; the chunks and their vectors (in the table of the
model MODEL, documents/vectors.py) are made inside PostgreSQL with one INSERT ... SELECT per
batch (no per-chunk vector crosses the wire), and the HNSW and GIN indexes are built after loading,
several times faster than maintaining them row by row. A database built before the vectors moved
out of the chunk table is upgraded by migration documents/0005 instead of rebuilt.

    .venv/bin/python bench/retrieval_data.py --chunks 100000 [--noise subspace|isotropic]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TENANTS = 100
DOCUMENTS_PER_TENANT = 10
TOPICS = 2000
TOPICS_PER_TENANT = 40
POOL = 1000
SUBSPACE = 32
NOISE_NORM = 0.55  # |a| and |b|: |a + b| is about 0.78, so a chunk's cosine to its topic is about 0.79
JITTER_NORM = 0.15
BATCH = 100_000
MODEL = "text-embedding-3-small"  # what the bench server's embedder calls itself


def setup(chunks: int) -> None:
    """Django on this scale's own bench database (docuchat_bench_100k, docuchat_bench_1000k, ...)."""
    from _setup import setup_django

    setup_django(f"docuchat_bench_{chunks // 1000}k")


def execute(sql: str, params: list | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def scalar(sql: str, params: list | None = None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def store():
    """The VectorStore of MODEL, the model every bench tenant uses."""
    from documents import vectors

    return vectors.store_for(MODEL, dimensions())


def use_model() -> None:
    """Every bench tenant's search index on MODEL (made on first use with the server default)."""
    from documents.models import SearchIndex
    from tenants.models import Tenant

    target = store()
    for tenant in Tenant.objects.filter(slug__startswith="bench-").exclude(search_index__store=target):
        SearchIndex.objects.update_or_create(tenant=tenant, defaults={"store": target})


def tenants_and_documents() -> None:
    """100 tenants (bench-0 ... bench-99), each with an owner, a member and 10 ready documents."""
    from accounts.models import User
    from documents.models import Document
    from tenants.models import Membership, Tenant, create_tenant

    for t in range(TENANTS):
        if Tenant.objects.filter(slug=f"bench-{t}").exists():
            continue
        owner = User.objects.for_email(f"owner{t}@bench.test")
        tenant = create_tenant(name=f"Bench {t}", slug=f"bench-{t}", owner=owner)
        member = User.objects.for_email(f"member{t}@bench.test")
        Membership.objects.create(tenant=tenant, user=member, role=Membership.Role.MEMBER)
        Document.objects.bulk_create(
            Document(
                tenant=tenant,
                title=f"Bench {t} document {d}",
                file=f"bench/{t}/{d}.pdf",
                sha256=f"{t:04d}{d:04d}".ljust(64, "0"),
                status=Document.Status.READY,
                page_count=100,
            )
            for d in range(DOCUMENTS_PER_TENANT)
        )


def gaussian(rng, n: int) -> list[float]:
    return [rng.gauss(0.0, 1.0) for _ in range(n)]


def scaled(vector: list[float], norm: float) -> list[float]:
    length = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x * norm / length for x in vector]


def pools(noise: str, seed: int = 42) -> dict[str, list[list[float]]]:
    """The topic, noise and jitter vectors every chunk is made of."""
    import random

    rng, dims = random.Random(seed), dimensions()
    topics = [scaled(gaussian(rng, dims), 1.0) for _ in range(TOPICS)]
    if noise == "isotropic":
        return {"topic": topics, "noise": [scaled(gaussian(rng, dims), NOISE_NORM) for _ in range(POOL)],
                "jitter": [[0.0] * dims for _ in range(POOL)]}  # fmt: skip
    basis = [scaled(gaussian(rng, dims), 1.0) for _ in range(SUBSPACE)]
    noises = []
    for _ in range(POOL):
        weights = gaussian(rng, SUBSPACE)
        mixed = [sum(w * b[d] for w, b in zip(weights, basis, strict=True)) for d in range(dims)]
        noises.append(scaled(mixed, NOISE_NORM))
    jitter = [scaled(gaussian(rng, dims), JITTER_NORM) for _ in range(POOL)]
    return {"topic": topics, "noise": noises, "jitter": jitter}


def store_pools(noise: str) -> None:
    from django.db import connection

    for name, vectors in pools(noise).items():
        execute(f"DROP TABLE IF EXISTS bench_{name}")
        execute(f"CREATE UNLOGGED TABLE bench_{name} (id int PRIMARY KEY, v vector({dimensions()}))")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO bench_{name} (id, v) VALUES (%s, %s::vector)",  # noqa: S608
                [(i, "[" + ",".join(f"{x:.6f}" for x in v) + "]") for i, v in enumerate(vectors)],
            )


def dimensions() -> int:
    from django.conf import settings

    return settings.EMBEDDING_DIMENSIONS


def load_chunks(total: int, noise: str) -> float:
    """Insert `total` chunks in batches; returns the seconds it took."""
    started = time.monotonic()
    store_pools(noise)
    execute("SELECT setseed(0.42)")
    first_document = scalar("SELECT min(id) FROM documents_document")
    first_tenant = scalar("SELECT min(id) FROM tenants_tenant WHERE slug = 'bench-0'")
    for start in range(0, total, BATCH):
        insert_batch(start, min(total, start + BATCH), first_tenant, first_document)
        print(
            f"  loaded {min(total, start + BATCH):>9,} chunks  {time.monotonic() - started:7.1f} s",
            flush=True,
        )
    return time.monotonic() - started


def insert_batch(start: int, stop: int, first_tenant: int, first_document: int) -> None:
    """Rows r = start..stop-1: tenant r % 100, document (r // 100) % 10 of it, topic one of the tenant's.
    The chunk and its vector come from one row of `src`, in one statement."""
    execute(
        f"""
        WITH src AS MATERIALIZED (
            SELECT nextval('documents_chunk_id_seq') AS id, r, %(t0)s + t AS tenant_id,
                   %(d0)s + t * {DOCUMENTS_PER_TENANT}
                       + (r / {TENANTS}) %% {DOCUMENTS_PER_TENANT} AS document_id,
                   topic, a, b,
                   (SELECT string_agg('w' || floor(exp(random() * 8.5))::int, ' ')
                    FROM generate_series(1, 24) WHERE r >= 0) AS words
            FROM (
                SELECT r, r %% {TENANTS} AS t,
                       (r %% {TENANTS} * 17 + floor(random() * {TOPICS_PER_TENANT})::int * 101)
                           %% {TOPICS} AS topic,
                       floor(random() * {POOL})::int AS a, floor(random() * {POOL})::int AS b
                FROM generate_series(%(start)s, %(stop)s) r
            ) rows
        ), chunks AS (
            INSERT INTO documents_chunk (id, tenant_id, document_id, ordinal, text, page_start, page_end,
                                         token_count, page_breaks, contents)
            SELECT id, tenant_id, document_id, r / {TENANTS * DOCUMENTS_PER_TENANT},
                   format('Topic %%s note %%s: term%%s term%%s %%s.', topic, r, a, b, words),
                   1 + (r / 1000) %% 100, 1 + (r / 1000) %% 100, 40, '[]'::jsonb, false
            FROM src
        )
        INSERT INTO {store().table} (tenant_id, chunk_id, document_id, embedding)
        SELECT tenant_id, id, document_id,
               l2_normalize((SELECT v FROM bench_topic WHERE id = topic)
                            + (SELECT v FROM bench_noise WHERE id = a)
                            + (SELECT v FROM bench_noise WHERE id = b)
                            + (SELECT v FROM bench_jitter WHERE id = (a * 7 + b) %% {POOL}))
        FROM src
        """,  # noqa: S608 (constants only)
        {"t0": first_tenant, "d0": first_document, "start": start, "stop": stop - 1},
    )


def build_indexes() -> dict[str, float]:
    """Build the HNSW and GIN indexes after loading, as documents/vectors.py and the migrations do."""
    from documents.vectors import hnsw_sql

    times = {}
    execute("SET maintenance_work_mem = '4GB'")
    execute("SET max_parallel_maintenance_workers = 1")  # two cores, shared
    for name, sql in (
        ("hnsw", hnsw_sql(store().table)),
        ("gin", "CREATE INDEX chunk_search_gin ON documents_chunk USING gin (search)"),
    ):
        started = time.monotonic()
        execute(sql)
        times[name] = time.monotonic() - started
        print(f"  built {name} index in {times[name]:.1f} s", flush=True)
    execute("ANALYZE documents_chunk")
    execute(f"ANALYZE {store().table}")
    return times


def ensure(total: int, noise: str = "subspace") -> dict[str, float]:
    """Make the bench database hold exactly `total` chunks with their indexes (reused if it does)."""
    tenants_and_documents()
    use_model()
    table = store().table
    execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
    built = scalar("SELECT value FROM bench_meta WHERE key = 'data'")
    indexed = scalar("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [f"{table}_hnsw"])
    if built == f"{total} {noise}" and indexed:
        print(f"Reusing {total:,} chunks ({noise} noise) already loaded.", flush=True)
        return {}
    print(f"Loading {total:,} chunks ({noise} noise) across {TENANTS} tenants ...", flush=True)
    execute("DELETE FROM bench_meta")
    execute(f"DROP INDEX IF EXISTS {table}_hnsw")
    execute("DROP INDEX IF EXISTS chunk_search_gin")
    execute("TRUNCATE documents_chunk")  # and, by its trigger, every model's vectors
    times = {"load": load_chunks(total, noise)}
    times.update(build_indexes())
    execute("INSERT INTO bench_meta VALUES ('data', %s)", [f"{total} {noise}"])
    for name in ("documents_chunk", table):
        size = scalar(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(relid)))"
            " FROM pg_partition_tree(%s) WHERE isleaf",
            [name],
        )
        print(f"  {name} is {size} with its indexes", flush=True)
    return times


def queries(count: int, seed: float = 0.7) -> list[tuple[int, str, str]]:
    """(tenant id, question vector as text, question words): each near a random chunk of a tenant
    (the chunk plus one noise vector: cosine about 0.9), as a question is near its answer."""
    from django.db import connection

    execute("SELECT setseed(%s)", [seed])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.tenant_id, l2_normalize(e.embedding + n.v)::text,
                   substring(c.text from 'term[0-9]+ term[0-9]+')
            FROM (SELECT lo + floor(random() * (hi - lo + 1))::bigint AS id
                  FROM (SELECT min(id) AS lo, max(id) AS hi FROM documents_chunk) ids,
                       generate_series(1, %s)) pick
            JOIN documents_chunk c ON c.id = pick.id
            JOIN {store().table} e ON e.tenant_id = c.tenant_id AND e.chunk_id = c.id
            JOIN LATERAL (SELECT v FROM bench_noise
                          WHERE id = floor(random() * {POOL})::int + 0 * pick.id) n ON true
            """,  # noqa: S608
            [count],
        )
        rows = cursor.fetchall()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--noise", choices=["subspace", "isotropic"], default="subspace")
    args = parser.parse_args()
    setup(args.chunks)
    print(ensure(args.chunks, args.noise))


if __name__ == "__main__":
    main()
