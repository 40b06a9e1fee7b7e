"""A re-run replaces a document's chunks atomically: never duplicated, never half-indexed."""

from collections.abc import Callable, Sequence

import pytest

from docuchat.testing import Cast
from documents import pipeline, queueing
from documents.embeddings import EmbeddingError, Embeddings, OfflineEmbedder
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document
from usage.models import UsageRecord


class FailingHalfway(OfflineEmbedder):
    """Embeds one batch, then the provider gives up."""

    model = "flaky-model"

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Embeddings:
        if on_batch:
            on_batch(1)
        raise EmbeddingError("The embedding service refused the request (503).")


def reindexed(document: Document) -> Document:
    assert queueing.requeue([document], enqueue_task=False)
    return ingest_now(document)


def test_it_replaces_the_chunks_of_a_rerun_without_duplicates(cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(5)))
    before = list(document.chunks.order_by("ordinal").values_list("pk", "text"))
    reindexed(document)
    after = list(document.chunks.order_by("ordinal").values_list("pk", "text"))
    assert [t for _, t in after] == [t for _, t in before]
    assert not {pk for pk, _ in after} & {pk for pk, _ in before}
    assert Chunk.objects.count() == len(before)
    assert UsageRecord.objects.filter(document=document).count() == 2  # one per run


def test_it_keeps_the_old_chunks_when_a_rerun_fails(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(4)))
    before = set(document.chunks.values_list("pk", flat=True))
    monkeypatch.setattr(pipeline.index, "embedder_for", lambda store: FailingHalfway(512))
    reindexed(document)
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == "The embedding service refused the request (503)."
    assert set(document.chunks.values_list("pk", flat=True)) == before
    assert UsageRecord.objects.filter(document=document).count() == 1


def test_it_writes_nothing_once_another_run_took_the_document_over(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document(cast, pdfs.text_pdf(2))
    real = pipeline.chunking.chunk_pages

    def taken_over_meanwhile(*args: object, **kwargs: object) -> object:
        Document.objects.filter(pk=document.pk).update(lease_token=None)  # recovery re-queued it
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.chunking, "chunk_pages", taken_over_meanwhile)
    assert pipeline.ingest(document.pk) is None
    assert not Chunk.objects.exists() and not UsageRecord.objects.exists()


def test_it_stops_quietly_when_the_document_is_deleted_midway(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document(cast, pdfs.text_pdf(2))
    real = pipeline.chunking.chunk_pages

    def deleted_meanwhile(*args: object, **kwargs: object) -> object:
        Document.objects.filter(pk=document.pk).delete()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.chunking, "chunk_pages", deleted_meanwhile)
    assert pipeline.ingest(document.pk) is None
    assert not Chunk.objects.exists()


def test_it_does_not_requeue_a_document_that_is_queued_or_processing(cast: Cast) -> None:
    document = make_document(cast)
    assert queueing.requeue([document]) == []
    pipeline.claim(document.pk)
    assert queueing.requeue([document]) == []
