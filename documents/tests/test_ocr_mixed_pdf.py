"""A document of text pages and scanned pages: only the scanned ones are read by OCR."""

from django.test import Client

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import make_document
from documents.tests.ocr_helpers import page_sources, page_text


def test_it_reads_only_the_scanned_pages_by_ocr(client: Client, cast: Cast) -> None:
    document = make_document(cast, pdfs.mixed_pdf("tst"), name="mixed.pdf")

    pipeline.ingest(document.pk)  # text pass: pages 1 and 3 stored, page 2 left for OCR
    document.refresh_from_db()
    assert document.ocr_pages == 1 and page_sources(document) == {1: "text", 3: "text"}

    document = pipeline.ingest(document.pk, stage=pipeline.Stage.OCR)
    assert document is not None and document.status == Document.Status.READY, document.error
    assert page_sources(document) == {1: "text", 2: "ocr", 3: "text"}
    assert pdfs.marker(1) in page_text(document, 1) and pdfs.marker(3) in page_text(document, 3)
    assert pdfs.scan_marker(2) in page_text(document, 2)
    scanned = Chunk.objects.filter(document=document, text__contains=pdfs.scan_marker(2))
    assert scanned and all(c.page_start <= 2 <= c.page_end for c in scanned)

    client.force_login(cast.member)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert "<li>Text layer: pages 1, 3</li>" in html and "<li>OCR: page 2</li>" in html


def test_it_sends_a_text_pdf_down_the_fast_path_untouched(cast: Cast) -> None:
    document = pipeline.ingest(make_document(cast, pdfs.text_pdf(3)).pk)
    assert document is not None and document.status == Document.Status.READY
    assert document.ocr_pages == 0 and page_sources(document) == {1: "text", 2: "text", 3: "text"}


def test_it_skips_a_page_without_text_even_by_ocr(client: Client, cast: Cast) -> None:
    picture = pdfs.image_only_pdf(1)  # shapes, no words
    document = make_document(cast, pdfs.join([pdfs.text_pdf(1), picture]), name="with-photo.pdf")
    document = pipeline.ingest(document.pk, stage=pipeline.Stage.ALL)
    assert document is not None and document.status == Document.Status.READY, document.error
    assert page_sources(document) == {1: "text", 2: "none"}
    assert not Chunk.objects.filter(document=document, page_end=2).exists()
    client.force_login(cast.member)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert "<li>No text: page 2</li>" in html
