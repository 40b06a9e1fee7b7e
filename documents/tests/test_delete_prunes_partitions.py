"""Deleting a document deletes its chunks in its tenant's partition only, not in all 64.

The chunk table is partitioned by tenant. The DELETE that removes a document's chunks names the
tenant, so PostgreSQL's plan touches one partition; a plain cascade (`WHERE document_id IN (...)`)
planned a scan of every partition.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docuchat.testing import Cast
from documents.models import Chunk, Document
from documents.tests.conftest import ingest_now, make_document

pytestmark = pytest.mark.django_db


def chunk_deletes(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "documents_chunk"')]


def partitions_in_plan(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return set(re.findall(r"documents_chunk_p\d+", plan))


def test_it_deletes_a_documents_chunks_in_one_partition(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    theirs = ingest_now(make_document(cast, tenant="globex"))
    client.force_login(cast.owner)
    with CaptureQueriesContext(connection) as captured:
        assert client.post(f"/t/acme/documents/{document.public_id}/delete/").status_code == 302
    [delete] = chunk_deletes(captured.captured_queries)
    assert len(partitions_in_plan(delete)) == 1
    assert not Chunk.objects.filter(document_id=document.pk).exists()
    assert Chunk.objects.filter(document=theirs).exists()  # the other tenant's chunks are untouched


def test_it_prunes_when_deleting_several_documents_at_once(cast: Cast) -> None:
    ingest_now(make_document(cast, name="a.pdf"))
    ingest_now(make_document(cast, tenant="globex", name="b.pdf"))
    with CaptureQueriesContext(connection) as captured:
        Document.objects.all().delete()  # as Django admin's bulk delete does
    [delete] = chunk_deletes(captured.captured_queries)
    assert 1 <= len(partitions_in_plan(delete)) <= 2
    assert not Chunk.objects.exists()


def test_it_refuses_another_tenants_document(client: Client, cast: Cast) -> None:
    theirs = make_document(cast, tenant="globex")
    client.force_login(cast.owner)
    assert client.post(f"/t/globex/documents/{theirs.public_id}/delete/").status_code == 404
    assert Document.objects.filter(pk=theirs.pk).exists()
