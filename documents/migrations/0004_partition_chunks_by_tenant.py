"""Chunks live in a table partitioned by HASH (tenant_id): each partition has its own HNSW graph.

Why: with one graph for every tenant, a tenant holding 1% of the chunks makes the filtered
nearest-neighbour search walk about a hundred other tenants' chunks for each of its own (about 5,400
buffers a question at 1M chunks; p95 30 ms). In a partition shared by a few tenants, the same
search touches a few hundred (bench/README.md, "Retrieval at scale").

PostgreSQL requires the partition key in every unique constraint, so the table's primary key is
(tenant_id, id) and the ordinal is unique per (tenant, document, ordinal). Django still treats `id`
as the primary key: it comes from one sequence, so it is unique on its own.

Existing chunks are copied across in the migration; the indexes are built after the copy.
"""

from django.db import migrations, models

PARTITIONS = 64
TABLE = "documents_chunk"
OLD = "documents_chunk_before_partitioning"

COLUMNS = "id, ordinal, text, page_start, page_end, token_count, embedding, embedding_model, tenant_id, document_id"

# Keys of the partitioned table: PostgreSQL wants the partition key in each unique constraint.
PARTITIONED_KEYS = [
    f"ALTER TABLE {TABLE} ADD CONSTRAINT documents_chunk_pkey PRIMARY KEY (tenant_id, id)",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT chunk_unique_ordinal UNIQUE (tenant_id, document_id, ordinal)",
]
# Keys of the plain table, as migration 0001 made them (for migrating backwards).
PLAIN_KEYS = [
    f"ALTER TABLE {TABLE} ADD CONSTRAINT documents_chunk_pkey PRIMARY KEY (id)",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT chunk_unique_ordinal UNIQUE (document_id, ordinal)",
    f"CREATE INDEX documents_chunk_tenant_id_81fc822c ON {TABLE} (tenant_id)",
    f"CREATE INDEX chunk_tenant_document ON {TABLE} (tenant_id, document_id)",
]
INDEXES = [
    f"ALTER TABLE {TABLE} ADD CONSTRAINT documents_chunk_tenant_id_81fc822c_fk_tenants_tenant_id"
    " FOREIGN KEY (tenant_id) REFERENCES tenants_tenant (id) DEFERRABLE INITIALLY DEFERRED",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT documents_chunk_document_id_3b191792_fk_documents_document_id"
    " FOREIGN KEY (document_id) REFERENCES documents_document (id) DEFERRABLE INITIALLY DEFERRED",
    # Deleting a document (Django's cascade names only the document).
    f"CREATE INDEX documents_chunk_document_id_3b191792 ON {TABLE} (document_id)",
    f"CREATE INDEX chunk_embedding_hnsw ON {TABLE}"
    " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
    f"CREATE INDEX chunk_search_gin ON {TABLE} USING gin (search)",
]


def columns_sql(cursor) -> str:
    """The column definitions of the current table (the embedding keeps its dimensions)."""
    cursor.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attname = 'embedding'",
        [TABLE],
    )
    embedding = cursor.fetchone()[0]
    positive = ", ".join(
        f"{name} integer NOT NULL CONSTRAINT {TABLE}_{name}_check CHECK ({name} >= 0)"
        for name in ("ordinal", "page_start", "page_end", "token_count")
    )
    return (
        f"id bigint NOT NULL, {positive}, text text NOT NULL,"
        f" embedding {embedding} NOT NULL, embedding_model varchar(100) NOT NULL,"
        " search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(text, ''))) STORED,"
        " tenant_id bigint NOT NULL, document_id bigint NOT NULL"
    )


def rebuild(schema_editor, partitions: int) -> None:
    """Move the chunks into a new table: HASH-partitioned by tenant when `partitions`, plain if 0."""
    with schema_editor.connection.cursor() as cursor:
        columns = columns_sql(cursor)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        if partitions:
            cursor.execute(f"CREATE TABLE {TABLE} ({columns}) PARTITION BY HASH (tenant_id)")
            for remainder in range(partitions):
                cursor.execute(
                    f"CREATE TABLE {TABLE}_p{remainder} PARTITION OF {TABLE}"
                    f" FOR VALUES WITH (MODULUS {partitions}, REMAINDER {remainder})"
                )
            # Vectors stay in the row (pgvector's default is out of line, in TOAST): an exact scan of
            # a tenant's rows then reads its rows, not one TOAST lookup per chunk; the text goes to
            # TOAST instead. Out of line only if a row could not fit in a page otherwise.
            cursor.execute(f"ALTER TABLE {TABLE} ALTER embedding SET STORAGE MAIN")
        else:
            cursor.execute(f"CREATE TABLE {TABLE} ({columns})")
        cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")  # noqa: S608
        cursor.execute(f"DROP TABLE {OLD}")
        # A sequence rather than an identity column: PostgreSQL before 17 has no identity columns
        # on partitioned tables.
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER id SET DEFAULT nextval('{TABLE}_id_seq')")
        cursor.execute(f"SELECT setval('{TABLE}_id_seq', coalesce(max(id), 0) + 1, false) FROM {TABLE}")  # noqa: S608
        for sql in (PARTITIONED_KEYS if partitions else PLAIN_KEYS) + INDEXES:
            cursor.execute(sql)
        cursor.execute(f"ANALYZE {TABLE}")


def forwards(apps, schema_editor) -> None:
    rebuild(schema_editor, PARTITIONS)


def backwards(apps, schema_editor) -> None:
    rebuild(schema_editor, 0)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("documents", "0003_budget_wait"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveIndex(model_name="chunk", name="chunk_tenant_document"),
                migrations.RemoveConstraint(model_name="chunk", name="chunk_unique_ordinal"),
                migrations.AddConstraint(
                    model_name="chunk",
                    constraint=models.UniqueConstraint(
                        fields=("tenant", "document", "ordinal"), name="chunk_unique_ordinal"
                    ),
                ),
                migrations.AlterField(
                    model_name="chunk",
                    name="tenant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.tenant",
                    ),
                ),
            ],
        ),
    ]
