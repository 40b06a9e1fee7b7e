from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document
from usage.models import UsageRecord


def test_it_marks_a_pdf_without_text_failed_saying_ocr_is_not_supported(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.image_only_pdf(2), name="scan.pdf"))
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == "no extractable text; OCR is not supported"
    assert not document.chunks.exists() and not UsageRecord.objects.exists()
    client.force_login(cast.member)
    html = client.get("/t/acme/documents/").content.decode()
    assert "Failed" in html and "no extractable text; OCR is not supported" in html
