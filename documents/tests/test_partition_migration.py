"""Migration 0004 moves every chunk into the table partitioned by tenant, and back, losing nothing;
migration 0005 moves their vectors into a table per model, and back."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chat.retrieval import search
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents import index, vectors
from documents.models import Chunk, DocumentVectors

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("documents", "0003_budget_wait")
PARTITIONED = ("documents", "0004_partition_chunks_by_tenant")


def migrate(target: tuple[str, str] | None) -> None:
    """To `target`, or (None) to the latest migration of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    yield
    migrate(None)  # whatever the test did (and whatever depends on 0004), the next test finds it all


def rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tenant_id, document_id, ordinal, text, page_start, page_end, token_count,"
            " embedding::text, embedding_model, search::text FROM documents_chunk ORDER BY id"
        )
        return cursor.fetchall()


def is_partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'documents_chunk'::regclass")
        return cursor.fetchone()[0] == "p"


def embedding_storage(table: str) -> set[str]:
    """How each table of the tree stores the vectors: 'm' (main) keeps them in the row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT attstorage FROM pg_attribute WHERE attname = 'embedding' AND attrelid IN"
            " (SELECT relid FROM pg_partition_tree(%s))",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def stored_vectors() -> dict[int, tuple[str, str]]:
    """{chunk id: (model, vector as text)} of each chunk's workspace's model."""
    found = {}
    for tenant_id in Chunk.objects.values_list("tenant_id", flat=True).distinct():
        store = index.current(tenant_id).store
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT chunk_id, embedding::text FROM {store.table} WHERE tenant_id = %s",  # noqa: S608
                [tenant_id],
            )
            found.update({cid: (store.model, text) for cid, text in cursor.fetchall()})
    return found


def test_it_keeps_every_chunk_and_its_ids_both_ways(cast: Cast, back_to_latest: None) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days.", "Travel is reimbursed."])
    make_document(cast.globex, "Manual", ["Press the red button.", "Запуск двигателя."])
    migrate(PARTITIONED)
    before = rows()
    assert is_partitioned() and len(before) == 4

    migrate(BEFORE)
    assert not is_partitioned() and rows() == before

    migrate(PARTITIONED)
    assert is_partitioned() and rows() == before
    assert embedding_storage("documents_chunk") == {"m"}
    migrate(None)
    added = make_document(cast.acme, "Later", ["New text."]).chunks.get()
    assert added.id > max(row[0] for row in before)  # the id sequence continues after the copy
    assert Chunk.objects.filter(tenant=cast.acme).count() == 3


def test_it_moves_the_vectors_to_a_table_per_model_and_back(cast: Cast, back_to_latest: None) -> None:
    handbook = make_document(cast.acme, "Handbook", ["Refunds within 30 days.", "Travel is reimbursed."])
    make_document(cast.globex, "Manual", ["Press the red button."])
    vectors_before = stored_vectors()
    assert len(vectors_before) == 3

    migrate(PARTITIONED)
    chunk_rows = {row[0]: (row[9], row[8]) for row in rows()}
    assert chunk_rows == vectors_before  # back in the chunk rows, each with its model

    migrate(None)
    assert stored_vectors() == vectors_before
    store = index.current(cast.acme).store
    assert embedding_storage(store.table) == {"m"}
    assert list(DocumentVectors.objects.filter(document=handbook).values_list("store", flat=True)) == [
        store.pk
    ]
    assert search(cast.acme, "refunds within 30 days")[0].title == "Handbook"
    Chunk.objects.filter(document=handbook).delete()  # the chunks' vectors go with them (trigger)
    assert vectors.count(store, cast.acme.pk) == 0 and vectors.count(store, cast.globex.pk) == 1
