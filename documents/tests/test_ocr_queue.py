"""OCR has a queue of its own: a text PDF uploaded after a scan is indexed by the default worker
without waiting for it, and the scan is read by the OCR worker (the two workers `./dev run` and
compose start)."""

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import make_cast
from documents import uploads
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import QUEUES, pdf_upload
from documents.tests.workers import DEFAULT_QUEUES, OCR_QUEUE, start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
Status = Document.Status


def status(document: Document) -> str:
    return Document.objects.get(pk=document.pk).status


def test_it_never_holds_text_pdfs_up_behind_a_scan(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    cast = make_cast()
    scan = uploads.accept(cast.acme, cast.owner, pdf_upload("scan.pdf", pdfs.scanned_pdf(2))).document
    text = uploads.accept(cast.acme, cast.owner, pdf_upload("manual.pdf", pdfs.text_pdf(3))).document
    assert scan is not None and text is not None

    default = start_worker(tmp_path, "default", DEFAULT_QUEUES)
    try:
        wait_for(lambda: status(text) == Status.READY, 60, "the text PDF")
        wait_for(lambda: Document.objects.get(pk=scan.pk).ocr_pages == 2, 30, "the scan's text pass")
        assert status(scan) == Status.QUEUED  # waiting for an OCR worker, not holding anyone up
        ocr = start_worker(tmp_path, "ocr", OCR_QUEUE)
        try:
            wait_for(lambda: status(scan) == Status.READY, 240, "the scan, read by the OCR worker")
        finally:
            stop(ocr)
    finally:
        stop(default)
    assert "ocr_document" in (tmp_path / "ocr.log").read_text()
    assert "ocr_document" not in (tmp_path / "default.log").read_text()
