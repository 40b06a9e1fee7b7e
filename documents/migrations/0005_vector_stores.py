"""Each embedding model's vectors move to a table of their own (documents/vectors.py).

Until now every chunk row held one vector, in a column whose size came from EMBEDDING_DIMENSIONS
when the database was migrated. From here on, a model is a VectorStore with its own table,
partitioned by tenant like the chunks, so a workspace can hold vectors of two models at once
(while it switches) and adding a model never rewrites the others.

1. Create the tables of the new models (VectorStore, DocumentVectors, SearchIndex).
2. For each model named in the chunks (`embedding_model`), a store and its table: its vectors are
   copied in, then its primary key and HNSW index are built (faster than row by row). Each
   document with chunks gets a DocumentVectors row per model found; each tenant with chunks a
   SearchIndex on the model most of its chunks have (a tenant with none gets one when first used).
3. The chunk table loses its HNSW index, `embedding` and `embedding_model` (dropping a column is
   instant in PostgreSQL: the old values are skipped, then vacuumed away), and gains the triggers
   that delete a chunk's vectors with it (documents/vectors.py says why not a foreign key).

Backwards, the vectors of each tenant's model go back into the chunk rows (all stores must have
one size, as the single column had) and the stores' tables are dropped.

Like 0004 it runs in one transaction that locks the chunk table: at 1,000,000 chunks it took
about N minutes here (docs/embeddings.md); plan a maintenance window of that order.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CHUNKS = "documents_chunk"
PARTITIONS = 64


def _free_name(cursor, name: str) -> str:
    """`name`, or `name_2`...: the first that no table has (as documents.vectors.free_name)."""
    candidate, n = name, 1
    while True:
        cursor.execute("SELECT to_regclass(%s)", [candidate])
        if cursor.fetchone()[0] is None:
            return candidate
        n += 1
        candidate = f"{name}_{n}"


def _store_tables(cursor, table: str, dimensions: int) -> None:
    """The store's table and partitions (the indexes come after the copy, see _index)."""
    cursor.execute(
        f"CREATE TABLE {table} (tenant_id bigint NOT NULL, chunk_id bigint NOT NULL,"
        f" document_id bigint NOT NULL, embedding vector({int(dimensions)}) NOT NULL)"
        " PARTITION BY HASH (tenant_id)"
    )
    for r in range(PARTITIONS):
        cursor.execute(
            f"CREATE TABLE {table}_p{r} PARTITION OF {table}"
            f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {r})"
        )
    cursor.execute(f"ALTER TABLE {table} ALTER embedding SET STORAGE MAIN")


def _index(cursor, table: str) -> None:
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, chunk_id)")
    cursor.execute(
        f"CREATE INDEX {table}_hnsw ON {table}"
        " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    cursor.execute(f"ANALYZE {table}")


# A chunk's vectors go with it: one DELETE per store for all the chunks a statement deleted, and
# TRUNCATE with TRUNCATE. The stores are read when the trigger fires, so a new one is covered.
TRIGGERS = [
    """
    CREATE FUNCTION documents_chunk_delete_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE store text;
    BEGIN
        FOR store IN SELECT "table" FROM documents_vectorstore LOOP
            EXECUTE format('DELETE FROM %I v USING gone g WHERE v.tenant_id = g.tenant_id'
                           ' AND v.chunk_id = g.id', store);
        END LOOP;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION documents_chunk_truncate_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE store text;
    BEGIN
        FOR store IN SELECT "table" FROM documents_vectorstore LOOP
            EXECUTE format('TRUNCATE %I', store);
        END LOOP;
        RETURN NULL;
    END $$
    """,
    f"CREATE TRIGGER chunk_delete_vectors AFTER DELETE ON {CHUNKS} REFERENCING OLD TABLE AS gone"
    " FOR EACH STATEMENT EXECUTE FUNCTION documents_chunk_delete_vectors()",
    f"CREATE TRIGGER chunk_truncate_vectors AFTER TRUNCATE ON {CHUNKS}"
    " FOR EACH STATEMENT EXECUTE FUNCTION documents_chunk_truncate_vectors()",
]
DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS chunk_delete_vectors ON {CHUNKS}",
    f"DROP TRIGGER IF EXISTS chunk_truncate_vectors ON {CHUNKS}",
    "DROP FUNCTION IF EXISTS documents_chunk_delete_vectors()",
    "DROP FUNCTION IF EXISTS documents_chunk_truncate_vectors()",
]


def _column_dimensions(cursor) -> int:
    cursor.execute(
        "SELECT atttypmod FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'embedding'", [CHUNKS]
    )
    return cursor.fetchone()[0]


def move_vectors(apps, schema_editor) -> None:
    VectorStore = apps.get_model("documents", "VectorStore")
    with schema_editor.connection.cursor() as cursor:
        dimensions = _column_dimensions(cursor)
        cursor.execute(f"SELECT DISTINCT embedding_model FROM {CHUNKS} ORDER BY 1")  # noqa: S608
        for (model,) in cursor.fetchall():
            store = VectorStore.objects.create(model=model, dimensions=dimensions, table="pending")
            store.table = _free_name(cursor, f"documents_vectors_{store.pk}")
            store.save(update_fields=["table"])
            _store_tables(cursor, store.table, dimensions)
            cursor.execute(
                f"INSERT INTO {store.table} (tenant_id, chunk_id, document_id, embedding)"  # noqa: S608
                f" SELECT tenant_id, id, document_id, embedding FROM {CHUNKS} WHERE embedding_model = %s",
                [model],
            )
            _index(cursor, store.table)
            cursor.execute(
                "INSERT INTO documents_documentvectors (document_id, store_id, tokens, created)"
                " SELECT c.document_id, %s, CASE WHEN d.embedding_model = %s THEN d.embedding_tokens ELSE 0 END,"
                f" now() FROM (SELECT DISTINCT document_id FROM {CHUNKS} WHERE embedding_model = %s) c"  # noqa: S608
                " JOIN documents_document d ON d.id = c.document_id",
                [store.pk, model, model],
            )
        cursor.execute(
            "INSERT INTO documents_searchindex (tenant_id, store_id, state, error, documents_total,"
            " documents_done, purge_pending, updated)"
            " SELECT DISTINCT ON (c.tenant_id) c.tenant_id, s.id, 'ready', '', 0, 0, false, now()"
            f" FROM (SELECT tenant_id, embedding_model, count(*) AS n FROM {CHUNKS}"  # noqa: S608
            " GROUP BY tenant_id, embedding_model) c"
            " JOIN documents_vectorstore s ON s.model = c.embedding_model"
            " ORDER BY c.tenant_id, c.n DESC, s.id"
        )
        cursor.execute("DROP INDEX IF EXISTS chunk_embedding_hnsw")
        cursor.execute(f"ALTER TABLE {CHUNKS} DROP COLUMN embedding, DROP COLUMN embedding_model")
        for sql in TRIGGERS:
            cursor.execute(sql)


def restore_vectors(apps, schema_editor) -> None:
    VectorStore = apps.get_model("documents", "VectorStore")
    stores = list(VectorStore.objects.order_by("pk"))
    sizes = {store.dimensions for store in stores}
    if len(sizes) > 1:
        raise RuntimeError(
            "Cannot migrate back: the chunk table had one vector column, and these models differ in size: "
            + ", ".join(f"{s.model} ({s.dimensions})" for s in stores)
            + ". Switch every workspace to models of one size first."
        )
    dimensions = sizes.pop() if sizes else 512
    with schema_editor.connection.cursor() as cursor:
        for sql in DROP_TRIGGERS:
            cursor.execute(sql)
        cursor.execute(
            f"ALTER TABLE {CHUNKS} ADD COLUMN embedding vector({int(dimensions)}),"
            " ADD COLUMN embedding_model varchar(100) NOT NULL DEFAULT ''"
        )
        cursor.execute(f"ALTER TABLE {CHUNKS} ALTER embedding_model DROP DEFAULT")
        cursor.execute(f"ALTER TABLE {CHUNKS} ALTER embedding SET STORAGE MAIN")
        for store in stores:
            cursor.execute(
                f"UPDATE {CHUNKS} c SET embedding = v.embedding, embedding_model = %s"  # noqa: S608
                f" FROM {store.table} v JOIN documents_searchindex i"
                " ON i.tenant_id = v.tenant_id AND i.store_id = %s"
                " WHERE c.tenant_id = v.tenant_id AND c.id = v.chunk_id",
                [store.model, store.pk],
            )
        cursor.execute(f"SELECT count(*) FROM {CHUNKS} WHERE embedding IS NULL")  # noqa: S608
        missing = cursor.fetchone()[0]
        if missing:
            raise RuntimeError(
                f"Cannot migrate back: {missing} chunks have no vector of their workspace's model. "
                "Let running switches finish (manage.py reindex --status) and re-index the rest first."
            )
        cursor.execute(f"ALTER TABLE {CHUNKS} ALTER embedding SET NOT NULL")
        cursor.execute(
            f"CREATE INDEX chunk_embedding_hnsw ON {CHUNKS}"
            " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        for store in stores:  # their rows go with the models' tables, as the migration unwinds
            cursor.execute(f"DROP TABLE {store.table}")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_partition_chunks_by_tenant"),
        ("tenants", "0003_teams"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentVectors",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tokens", models.PositiveBigIntegerField(default=0)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="SearchIndex",
            fields=[
                (
                    "tenant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="tenants.tenant",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("ready", "Ready"),
                            ("queued", "Queued"),
                            ("building", "Re-embedding"),
                            ("waiting", "Waiting for budget"),
                            ("failed", "Stopped"),
                        ],
                        default="ready",
                        max_length=10,
                    ),
                ),
                ("error", models.TextField(blank=True)),
                ("documents_total", models.PositiveIntegerField(default=0)),
                ("documents_done", models.PositiveIntegerField(default=0)),
                ("lease_token", models.UUIDField(blank=True, editable=False, null=True)),
                ("lease_expires", models.DateTimeField(blank=True, editable=False, null=True)),
                ("budget_wait_until", models.DateTimeField(blank=True, editable=False, null=True)),
                ("purge_pending", models.BooleanField(default=False)),
                ("started", models.DateTimeField(blank=True, null=True)),
                ("switched", models.DateTimeField(blank=True, null=True)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="VectorStore",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model", models.CharField(max_length=100)),
                ("dimensions", models.PositiveIntegerField()),
                ("table", models.CharField(max_length=50, unique=True)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="documentvectors",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="vector_sets",
                to="documents.document",
            ),
        ),
        migrations.AddField(
            model_name="searchindex",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="vectorstore",
            constraint=models.UniqueConstraint(
                fields=("model", "dimensions"), name="vectorstore_unique_model"
            ),
        ),
        migrations.AddField(
            model_name="searchindex",
            name="previous",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="documents.vectorstore",
            ),
        ),
        migrations.AddField(
            model_name="searchindex",
            name="store",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="documents.vectorstore"
            ),
        ),
        migrations.AddField(
            model_name="searchindex",
            name="target",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="documents.vectorstore",
            ),
        ),
        migrations.AddField(
            model_name="documentvectors",
            name="store",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="documents.vectorstore"
            ),
        ),
        migrations.AddIndex(
            model_name="searchindex",
            index=models.Index(fields=["state"], name="searchindex_state"),
        ),
        migrations.AddIndex(
            model_name="documentvectors",
            index=models.Index(fields=["store"], name="documentvectors_store"),
        ),
        migrations.AddConstraint(
            model_name="documentvectors",
            constraint=models.UniqueConstraint(
                fields=("document", "store"), name="documentvectors_unique_store"
            ),
        ),
        # The vectors move out of the chunk table into a table per model; then its columns go.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(move_vectors, restore_vectors)],
            state_operations=[
                migrations.RemoveIndex(model_name="chunk", name="chunk_embedding_hnsw"),
                migrations.RemoveField(model_name="chunk", name="embedding"),
                migrations.RemoveField(model_name="chunk", name="embedding_model"),
            ],
        ),
    ]
