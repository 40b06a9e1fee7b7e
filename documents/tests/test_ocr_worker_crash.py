"""A worker killed in the middle of OCR: its extraction process dies with it, and the next worker
reads only the pages not yet stored; no page is read by OCR twice."""

import re
import signal
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import make_cast
from documents import uploads
from documents.models import Chunk, Document, DocumentPage
from documents.tests import pdfs
from documents.tests.conftest import QUEUES, pdf_upload
from documents.tests.workers import alive, children, start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = 5


def ocr_pages(document: Document) -> dict[int, tuple[int, str]]:
    rows = DocumentPage.objects.filter(document=document, source=DocumentPage.Source.OCR)
    return {number: (pk, text) for number, pk, text in rows.values_list("number", "pk", "text")}


def test_it_resumes_ocr_after_its_worker_is_killed(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    cast = make_cast()
    document = uploads.accept(cast.acme, cast.owner, pdf_upload("scan.pdf", pdfs.scanned_pdf(PAGES))).document
    assert document is not None
    env = {"DOCUMENT_LEASE_SECONDS": "2", "OCR_THREADS": "1"}

    first = start_worker(tmp_path, "worker-1", **env)
    try:
        wait_for(lambda: len(ocr_pages(document)) >= 2, 240, "two pages read by OCR")
        extractors = children(first.pid, "documents.extract_child")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert extractors, "the OCR ran in a child process of the worker"
    wait_for(lambda: not any(alive(pid) for pid in extractors), 10, "the extraction process to die too")
    before = ocr_pages(document)
    assert 2 <= len(before) < PAGES

    second = start_worker(tmp_path, "worker-2", **env)
    try:
        wait_for(lambda: Document.objects.get(pk=document.pk).status == Document.Status.READY, 240, "ready")
    finally:
        stop(second)

    after = ocr_pages(document)
    assert sorted(after) == list(range(1, PAGES + 1))
    assert all(after[number] == before[number] for number in before)  # the same rows, untouched
    log = (tmp_path / "worker-2.log").read_text()
    counts = [int(n) for n in re.findall(rf"Document {document.pk}, ocr pass: (\d+) pages by OCR", log)]
    assert counts == [PAGES - len(before)]  # only the pages the killed run had not stored
    for number in range(1, PAGES + 1):
        assert pdfs.scan_marker(number) in after[number][1]
    assert Chunk.objects.filter(document=document).exists()
