"""A scanned PDF: its text pass finds no text layer and hands it to the OCR queue, whose run reads
every page by OCR, stores each page, and indexes it with the right page numbers."""

from typing import Any

from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import make_document
from documents.tests.ocr_helpers import page_sources, page_text, queued_tasks


def test_it_reads_a_scan_by_ocr_on_the_ocr_queue(
    client: Client, cast: Cast, settings: SettingsWrapper, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHUNK_TOKEN_SIZE, settings.CHUNK_OVERLAP = 30, 0  # several chunks, so pages can be told apart
    document = make_document(cast, pdfs.scanned_pdf(2), name="scan.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        pipeline.ingest(document.pk)  # the default queue's run: the text layer only
    document.refresh_from_db()
    assert (document.status, document.ocr_pages, document.attempts) == (Document.Status.QUEUED, 2, 0)
    assert ("ocr_document", "ocr", document.pk) in queued_tasks()
    assert page_sources(document) == {}  # nothing stored for OCR yet
    client.force_login(cast.member)
    assert "Waiting for an OCR worker (2 scanned pages)" in client.get("/t/acme/documents/").content.decode()
    assert pipeline.ingest(document.pk) is None  # a default-queue task cannot take it back

    document = pipeline.ingest(document.pk, stage=pipeline.Stage.OCR)
    assert document is not None and document.status == Document.Status.READY, document.error
    assert page_sources(document) == {1: "ocr", 2: "ocr"}
    for number in (1, 2):
        assert pdfs.scan_marker(number) in page_text(document, number)
        chunks = Chunk.objects.filter(document=document, text__contains=pdfs.scan_marker(number))
        assert chunks and all(c.page_start <= number <= c.page_end for c in chunks)
    assert "turbine" in " ".join(Chunk.objects.filter(document=document).values_list("text", flat=True))


def test_it_shows_on_the_detail_page_which_pages_ocr_read(client: Client, cast: Cast) -> None:
    document = make_document(cast, pdfs.scanned_pdf(2), name="scan.pdf")
    pipeline.ingest(document.pk, stage=pipeline.Stage.ALL)
    client.force_login(cast.member)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert "Text from" in html and "<li>OCR: pages 1\N{EN DASH}2</li>" in html
    client.force_login(cast.other)  # another workspace's owner
    assert client.get(f"/t/acme/documents/{document.public_id}/").status_code == 404
