"""Ingestion stores each chunk's sentence windows (offline models); a re-index fills missing ones."""

from io import StringIO

from django.core.management import call_command
from django.db import connection

from docuchat.testing import Cast
from documents import index, vectors
from documents.models import Chunk, VectorStore
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document


def chunk_ids(document_pk: int) -> list[int]:
    return list(Chunk.objects.filter(document_id=document_pk).values_list("pk", flat=True))


def forget_windows(store: VectorStore) -> None:
    """As a chunk indexed before migration 0009 has them: none."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {store.table} SET windows = NULL")  # noqa: S608 (a store's own table)


def test_it_stores_windows_at_ingestion_and_a_reindex_fills_missing_ones(cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(3)))
    store = index.current(cast.acme).store
    ids = chunk_ids(document.pk)
    assert set(vectors.windows_of(store, cast.acme.pk, ids)) == set(ids)
    assert vectors.windows_of(store, cast.globex.pk, ids) == {}  # the tenant's rows only
    forget_windows(store)
    assert vectors.windows_of(store, cast.acme.pk, ids) == {}
    call_command("reindex", "--tenant", "acme", stdout=StringIO(), stderr=StringIO())
    new_ids = chunk_ids(document.pk)
    assert new_ids and set(vectors.windows_of(store, cast.acme.pk, new_ids)) == set(new_ids)
