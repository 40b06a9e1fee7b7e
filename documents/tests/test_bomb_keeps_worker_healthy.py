"""A real worker meets a PDF bomb: the document fails naming the bound, the worker lives on and
indexes the next document normally."""

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import make_cast
from documents import uploads
from documents.models import Document
from documents.tests import bombs, pdfs
from documents.tests.conftest import QUEUES, pdf_upload
from documents.tests.workers import DEFAULT_QUEUES, start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
Status = Document.Status


def test_it_fails_the_bomb_and_goes_on_with_the_next_document(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    cast = make_cast()
    bomb = uploads.accept(cast.acme, cast.owner, pdf_upload("bomb.pdf", bombs.memory_bomb(150))).document
    text = uploads.accept(cast.acme, cast.owner, pdf_upload("manual.pdf", pdfs.text_pdf(3))).document
    assert bomb is not None and text is not None

    worker = start_worker(tmp_path, "worker", DEFAULT_QUEUES, MAX_EXTRACTION_MEMORY_MB="400")
    try:
        finished = (Status.READY, Status.FAILED)
        wait_for(lambda: Document.objects.filter(status__in=finished).count() == 2, 120, "both documents")
        assert worker.poll() is None  # still running
    finally:
        stop(worker)
    bomb.refresh_from_db()
    text.refresh_from_db()
    assert bomb.status == Status.FAILED and bomb.attempts == 1
    assert bomb.error == "Reading page 1 needed more than the 400 MB memory limit."
    assert text.status == Status.READY and text.chunks.exists()
