"""OCR's limits: pages per document, time per page, and a document with no text even by OCR."""

from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import make_document
from documents.tests.ocr_helpers import page_sources
from usage.models import UsageRecord


def test_it_refuses_a_scan_over_max_ocr_pages(client: Client, cast: Cast, settings: SettingsWrapper) -> None:
    settings.MAX_OCR_PAGES = 1
    document = pipeline.ingest(make_document(cast, pdfs.scanned_pdf(2)).pk)
    assert document is not None and document.status == Document.Status.FAILED
    assert document.error == (
        "This PDF has 2 pages without a text layer (scanned); OCR reads at most 1 page of a document."
    )
    client.force_login(cast.member)
    assert "OCR reads at most 1 page of a document." in client.get("/t/acme/documents/").content.decode()


def test_it_stops_a_page_that_ocr_reads_too_slowly(cast: Cast, settings: SettingsWrapper) -> None:
    settings.OCR_PAGE_SECONDS = 0.01
    document = pipeline.ingest(make_document(cast, pdfs.scanned_pdf(1)).pk, stage=pipeline.Stage.ALL)
    assert document is not None and document.status == Document.Status.FAILED
    assert document.error == "Reading page 1 by OCR took longer than the 0.01-second limit for a page."
    assert page_sources(document) == {}


def test_it_fails_a_document_with_no_text_even_by_ocr_saying_so(cast: Cast) -> None:
    blank_and_photo = pdfs.join([pdfs.build([""]), pdfs.image_only_pdf(1)])
    document = make_document(cast, blank_and_photo, name="photos.pdf")
    document = pipeline.ingest(document.pk, stage=pipeline.Stage.ALL)
    assert document is not None and document.status == Document.Status.FAILED
    assert document.error == pipeline.NO_TEXT_AFTER_OCR
    assert page_sources(document) == {1: "none", 2: "none"}  # read once: a re-index does not OCR them again
    assert not document.chunks.exists() and not UsageRecord.objects.exists()
