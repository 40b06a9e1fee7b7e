"""A document whose worker dies on every run (a poison file) fails after MAX_INDEXING_ATTEMPTS
runs, saying why, instead of taking down every worker in turn for ever."""

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from docuchat.testing import Cast
from documents import pipeline, queueing, recovery
from documents.models import Document
from documents.tests.conftest import make_document
from documents.tests.ocr_helpers import queued_tasks

Status = Document.Status


def test_it_fails_a_document_whose_worker_died_on_every_run(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(cast)
    when = timezone.now()
    for attempt in (1, 2, 3):
        with time_machine.travel(when):
            assert pipeline.claim(document.pk) is not None  # ... and the worker was killed
        when += timedelta(seconds=31)
        with time_machine.travel(when), django_capture_on_commit_callbacks(execute=True):
            swept = recovery.sweep()
        document.refresh_from_db()
        assert document.attempts == attempt
        assert (swept, document.status) == (
            ([document.pk], Status.QUEUED) if attempt < 3 else ([], Status.FAILED)
        )
    assert document.error == (
        "Indexing stopped 3 times without finishing: the worker reading this file died each time. "
        "Re-index it to try again."
    )
    assert pipeline.claim(document.pk) is None
    client.force_login(cast.member)
    assert "Indexing stopped 3 times" in client.get("/t/acme/documents/").content.decode()

    assert queueing.requeue([document], cast.owner) == [document]  # a person's re-index starts afresh
    document.refresh_from_db()
    assert document.status == Status.QUEUED and document.attempts == 0


def test_it_requeues_a_dead_ocr_run_on_the_ocr_queue(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(cast)
    Document.objects.filter(pk=document.pk).update(ocr_pages=2)  # its text pass found two scans
    assert pipeline.claim(document.pk) is None  # not for the default queue any more
    assert pipeline.claim(document.pk, stage=pipeline.Stage.OCR) is not None  # ... and it died
    with (
        time_machine.travel(timezone.now() + timedelta(seconds=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert recovery.sweep() == [document.pk]
    assert queued_tasks()[-1] == ("ocr_document", "ocr", document.pk)
