"""Vector storage: one table per embedding model, partitioned by tenant like the chunk table.

    documents_vectors_<store id> (tenant_id, chunk_id, document_id, embedding vector(<dimensions>),
                                  windows bytea)
        PRIMARY KEY (tenant_id, chunk_id)
        PARTITION BY HASH (tenant_id): 64 partitions, each with its own HNSW graph (cosine)

Why a table per model (docs/embeddings.md has the measurements): creating one touches no other
model's vectors, so adding a model needs no rewrite and no lock on them; its HNSW graphs hold its
vectors only; and a model nobody uses any more is dropped whole instead of deleted row by row.

A chunk's vectors go with it however it goes (re-indexing, deleting the document or the
workspace): triggers on the chunk table (migration 0005) delete them from every store's table,
one statement per store for all the chunks a statement deleted, and TRUNCATE them with it. (Not
a foreign key: TRUNCATE, which Django's test flush uses, refuses a table that one references.)
Whoever writes vectors for chunks that already exist holds their document's row (FOR SHARE)
while checking they still do, so that no vector outlives its chunk (documents/switching.py).

The SQL here names tables only from VectorStore rows, never from input.

`windows` holds the chunk's sentence windows embedded with the same model, packed
(documents/windows.py): offline models only, NULL for the others and for chunks indexed before
migration 0009.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

from documents.models import VectorStore

PARTITIONS = 64  # as the chunk table (migration 0004): a tenant's rows sit in one partition of each


def table_sql(table: str, dimensions: int) -> list[str]:
    """The statements that create a model's table, empty, with its partitions and indexes."""
    statements = [
        f"CREATE TABLE {table} (tenant_id bigint NOT NULL, chunk_id bigint NOT NULL,"
        f" document_id bigint NOT NULL, embedding vector({int(dimensions)}) NOT NULL, windows bytea,"
        f" CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, chunk_id)"
        ") PARTITION BY HASH (tenant_id)",
    ]
    statements += [
        f"CREATE TABLE {table}_p{r} PARTITION OF {table}"
        f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {r})"
        for r in range(PARTITIONS)
    ]
    # Vectors stay in the row, as in the chunk table before: an exact scan of a small tenant reads
    # its rows, not one TOAST lookup per vector (bench/README.md, "Why STORAGE MAIN").
    statements.append(f"ALTER TABLE {table} ALTER embedding SET STORAGE MAIN")
    statements.append(hnsw_sql(table))
    return statements


def hnsw_sql(table: str) -> str:
    return (
        f"CREATE INDEX {table}_hnsw ON {table}"
        " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )


def store_for(model: str, dimensions: int) -> VectorStore:
    """The model's store, creating it and its table on first use (once, whoever asks first)."""
    found = VectorStore.objects.filter(model=model, dimensions=dimensions).first()
    if found:
        return found
    with transaction.atomic():
        with connection.cursor() as cursor:  # one creator at a time; the loser finds it made
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('documents_vectorstore'))")
        found = VectorStore.objects.filter(model=model, dimensions=dimensions).first()
        if found:
            return found
        store = VectorStore.objects.create(model=model, dimensions=dimensions, table="pending")
        with connection.cursor() as cursor:
            store.table = free_name(cursor, f"documents_vectors_{store.pk}")
            store.save(update_fields=["table"])
            for sql in table_sql(store.table, dimensions):
                cursor.execute(sql)
            cursor.execute(f"COMMENT ON TABLE {store.table} IS %s", [f"Vectors of {store}"])
    return store


def free_name(cursor: Any, name: str) -> str:
    """`name`, or `name_2`, `name_3`...: the first that no table has (a table left behind by a
    rolled-back schema, or by a test database's flush, keeps its name)."""
    candidate, n = name, 1
    while True:
        cursor.execute("SELECT to_regclass(%s)", [candidate])
        if cursor.fetchone()[0] is None:
            return candidate
        n += 1
        candidate = f"{name}_{n}"


def insert(
    store: VectorStore,
    rows: Iterable[tuple[int, int, int, Sequence[float]]],
    windows: Sequence[bytes | None] = (),
) -> int:
    """Write (tenant_id, chunk_id, document_id, vector) rows; a row already there is kept.

    `windows`, when given, has each row's packed sentence windows (documents/windows.py), or None.
    Returns how many were new. The caller makes sure the chunks exist (see the module's docstring).
    """
    values = [(t, c, d, literal(v)) for t, c, d, v in rows]
    if not values:
        return 0
    packed = list(windows) or [None] * len(values)
    if len(packed) != len(values):
        raise ValueError("windows must have one entry per row")
    values = [(*row, w) for row, w in zip(values, packed, strict=True)]
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            placeholders = ", ".join(["(%s, %s, %s, %s::vector, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {store.table} (tenant_id, chunk_id, document_id, embedding, windows)"  # noqa: S608
                f" VALUES {placeholders} ON CONFLICT DO NOTHING",
                [value for row in batch for value in row],
            )
            written += cursor.rowcount
    return written


def nearest_sql(store: VectorStore, *, documents: bool) -> str:
    """The nearest-neighbour query HNSW serves: ORDER BY embedding <=> q LIMIT n, for one tenant."""
    scope = " AND document_id = ANY(%(documents)s)" if documents else ""
    return (
        f"SELECT chunk_id, embedding <=> %(vector)s::vector AS distance FROM {store.table}"  # noqa: S608
        f" WHERE tenant_id = %(tenant)s{scope} ORDER BY distance LIMIT %(limit)s"
    )


def nearest(
    store: VectorStore, tenant_id: int, vector: Sequence[float], limit: int, documents: Sequence[int] = ()
) -> list[tuple[int, float]]:
    """(chunk id, cosine distance) of the tenant's `limit` nearest chunks in this model's space.

    The tenant is a literal in the query (psycopg binds on the client), so PostgreSQL prunes the
    other 63 partitions when it plans.
    """
    params: dict[str, Any] = {"vector": literal(vector), "tenant": tenant_id, "limit": limit}
    if documents:
        params["documents"] = list(documents)
    with connection.cursor() as cursor:
        cursor.execute(nearest_sql(store, documents=bool(documents)), params)
        return [(chunk_id, float(distance)) for chunk_id, distance in cursor.fetchall()]


def windows_of(store: VectorStore, tenant_id: int, chunk_ids: Sequence[int]) -> dict[int, bytes]:
    """{chunk id: packed windows} of those of the tenant's chunks that have windows in this store."""
    if not chunk_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chunk_id, windows FROM {store.table}"  # noqa: S608
            " WHERE tenant_id = %s AND chunk_id = ANY(%s) AND windows IS NOT NULL",
            [tenant_id, list(chunk_ids)],
        )
        return {chunk_id: bytes(data) for chunk_id, data in cursor.fetchall()}


def windows_or_similarity(
    store: VectorStore, tenant_id: int, chunk_ids: Sequence[int], vector: Sequence[float]
) -> tuple[dict[int, bytes], dict[int, float]]:
    """The packed windows of those of the tenant's chunks that have them, and, for the others (indexed
    before windows existed), the cosine similarity of the chunk's own vector to `vector`: one query."""
    if not chunk_ids:
        return {}, {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chunk_id, windows, CASE WHEN windows IS NULL THEN 1 - (embedding <=> %s::vector) END"  # noqa: S608
            f" FROM {store.table} WHERE tenant_id = %s AND chunk_id = ANY(%s)",
            [literal(vector), tenant_id, list(chunk_ids)],
        )
        rows = cursor.fetchall()
    packed = {chunk_id: bytes(data) for chunk_id, data, _ in rows if data is not None}
    return packed, {chunk_id: float(similarity) for chunk_id, data, similarity in rows if data is None}


def explain(store: VectorStore, tenant_id: int, vector: Sequence[float], limit: int) -> str:
    params = {"vector": literal(vector), "tenant": tenant_id, "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + nearest_sql(store, documents=False), params)
        return "\n".join(row[0] for row in cursor.fetchall())


def purge(store: VectorStore, tenant_id: int, batch: int = 5000) -> int:
    """Delete a tenant's vectors from a store, a batch per transaction (no long lock); returns how many."""
    removed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {store.table} WHERE tenant_id = %s AND chunk_id IN"  # noqa: S608
                f" (SELECT chunk_id FROM {store.table} WHERE tenant_id = %s LIMIT %s)",
                [tenant_id, tenant_id, batch],
            )
            removed += cursor.rowcount
            if cursor.rowcount < batch:
                return removed


def count(store: VectorStore, tenant_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {store.table} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
        return cursor.fetchone()[0]


def dimensions_in_database(store: VectorStore) -> int | None:
    """The size of the store's vector column as the database has it; None if the table is missing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = 'embedding'",
            [store.table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def of_document(store: VectorStore, tenant_id: int, document_id: int) -> dict[int, list[float]]:
    """{chunk id: vector} of one document in a store (for checks and tests)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chunk_id, embedding::text FROM {store.table}"  # noqa: S608
            " WHERE tenant_id = %s AND document_id = %s",
            [tenant_id, document_id],
        )
        rows = cursor.fetchall()
    return {chunk_id: [float(x) for x in text.strip("[]").split(",")] for chunk_id, text in rows}
