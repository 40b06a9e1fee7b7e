from django.contrib.postgres.search import SearchQuery
from django.test import Client

from docuchat.lib.tokens import count_tokens
from docuchat.testing import Cast
from documents import index, pipeline, vectors
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document, pdf_upload, upload
from documents.wordllama import MODEL as OFFLINE_MODEL
from usage.models import UsageRecord


def test_it_turns_a_queued_pdf_into_chunks_with_pages_and_vectors(cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(6)))
    document.refresh_from_db()
    chunks = list(document.chunks.order_by("ordinal"))
    assert document.status == Document.Status.READY and document.error == ""
    assert (document.page_count, document.pages_done) == (6, 6)
    assert document.chunks_total == document.chunks_embedded == len(chunks) > 2
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 6
    assert all(c.tenant_id == cast.acme.pk for c in chunks)
    store = index.current(cast.acme).store
    assert (store.model, store.dimensions, document.embedding_model) == (OFFLINE_MODEL, 512, OFFLINE_MODEL)
    stored = vectors.of_document(store, cast.acme.pk, document.pk)
    assert set(stored) == {c.pk for c in chunks} and all(len(v) == 512 for v in stored.values())
    assert list(document.vector_sets.values_list("store", flat=True)) == [store.pk]
    assert document.processed is not None and document.lease_token is None and document.lease_expires is None


def test_it_records_the_embedding_tokens_on_the_document_and_meters_them_once(cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(4)))
    texts = Chunk.objects.filter(document=document).values_list("text", flat=True)
    assert document.embedding_tokens == sum(count_tokens(t) for t in texts) > 0
    record = UsageRecord.objects.get()
    assert (record.kind, record.model, record.prompt_tokens) == (
        "document_embedding",
        OFFLINE_MODEL,
        document.embedding_tokens,
    )
    assert (record.tenant, record.user, record.document) == (cast.acme, cast.owner, document)


def test_it_makes_every_language_searchable_by_full_text(cast: Cast) -> None:
    ingest_now(make_document(cast, pdfs.unicode_pdf()))
    for word in ("турбины", "توربین", "pagemarker0001"):
        assert Chunk.objects.filter(search=SearchQuery(word, config="simple")).count() == 1, word


def test_it_claims_a_document_once(cast: Cast) -> None:
    document = make_document(cast)
    run = pipeline.claim(document.pk)
    assert run is not None
    assert pipeline.ingest(document.pk) is None  # a duplicate task finds it taken
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING and not document.chunks.exists()


def test_it_does_nothing_for_a_stale_task_of_a_ready_document(cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    ids = set(document.chunks.values_list("pk", flat=True))
    assert pipeline.ingest(document.pk) is None
    assert set(document.chunks.values_list("pk", flat=True)) == ids
    assert UsageRecord.objects.count() == 1


def test_it_tells_a_listener_how_far_it_got(cast: Cast) -> None:
    seen: list[tuple[str, int, int, int]] = []

    def listen(d: Document) -> None:
        seen.append((d.status, d.pages_done, d.chunks_total, d.chunks_embedded))

    document = make_document(cast, pdfs.text_pdf(3))
    pipeline.ingest(document.pk, listener=listen)
    assert seen[0] == ("processing", 0, 0, 0)
    assert seen[-1][0] == "ready" and seen[-1][2] == seen[-1][3] > 0
    assert ("processing", 3, seen[-1][2], 0) in seen  # extraction done, embedding about to start


def test_it_runs_as_the_task_right_after_upload(
    client: Client, cast: Cast, immediate_tasks: None, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, pdf_upload("a.pdf", pdfs.text_pdf(2)))
    document = Document.objects.get()
    assert document.status == Document.Status.READY and document.chunks.count() == document.chunks_total > 0
    assert UsageRecord.objects.get().user == cast.member


def test_it_fails_with_a_reason_when_the_stored_file_is_gone(cast: Cast) -> None:
    document = make_document(cast)
    document.file.storage.delete(document.file.name)
    ingest_now(document)
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == "The uploaded file is missing from storage; upload it again."
