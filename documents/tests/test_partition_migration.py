"""Migration 0004 moves every chunk into the table partitioned by tenant, and back, losing nothing."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Chunk

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("documents", "0003_budget_wait")
AFTER = ("documents", "0004_partition_chunks_by_tenant")


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


def embedding_storage() -> set[str]:
    """How each table of chunks stores the vectors: 'm' (main) keeps them in the row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT attstorage FROM pg_attribute WHERE attname = 'embedding' AND attrelid IN"
            " (SELECT relid FROM pg_partition_tree('documents_chunk'))"
        )
        return {row[0] for row in cursor.fetchall()}


def test_it_keeps_every_chunk_and_its_ids_both_ways(cast: Cast, back_to_latest: None) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days.", "Travel is reimbursed."])
    make_document(cast.globex, "Manual", ["Press the red button.", "Запуск двигателя."])
    before = rows()
    assert is_partitioned() and len(before) == 4

    migrate(BEFORE)
    assert not is_partitioned() and rows() == before

    migrate(AFTER)
    assert is_partitioned() and rows() == before
    assert embedding_storage() == {"m"}
    added = make_document(cast.acme, "Later", ["New text."]).chunks.get()
    assert added.id > max(row[0] for row in before)  # the id sequence continues after the copy
    assert Chunk.objects.filter(tenant=cast.acme).count() == 3
