from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document
from usage.models import UsageRecord


def test_it_marks_a_scan_failed_saying_ocr_is_off_when_it_is(
    client: Client, cast: Cast, settings: SettingsWrapper
) -> None:
    settings.MAX_OCR_PAGES = 0
    document = ingest_now(make_document(cast, pdfs.scanned_pdf(1), name="scan.pdf"))
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED and document.ocr_pages == 0
    assert document.error == pipeline.NO_TEXT
    assert not document.chunks.exists() and not UsageRecord.objects.exists()
    client.force_login(cast.member)
    html = client.get("/t/acme/documents/").content.decode()
    assert "Failed" in html and "OCR is turned off on this server." in html
