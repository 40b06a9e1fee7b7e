"""Putting documents on the ingestion queue: after the transaction commits, never before."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from documents.models import Document

Status = Document.Status


def enqueue(document_id: int, run_after: datetime | None = None, *, ocr: bool | None = None) -> None:
    """Enqueue the document's next run once the current transaction commits (at once outside one):
    `ocr_document` on the "ocr" queue when its text pass found pages to OCR, else `ingest_document`.
    `ocr` None: look at the document."""
    from documents.tasks import ingest_document, ocr_document

    if ocr is None:
        ocr = Document.objects.filter(pk=document_id, ocr_pages__gt=0).exists()
    task = ocr_document if ocr else ingest_document
    task = task.using(run_after=run_after) if run_after else task
    transaction.on_commit(lambda: task.enqueue(document_id))


def resume_waiting(tenant: Any) -> list[int]:
    """Queue a run now for this tenant's documents waiting for budget (it was raised or reset)."""
    waiting = list(
        Document.objects.filter(
            tenant=tenant, status=Status.QUEUED, budget_wait_until__isnull=False
        ).values_list("pk", flat=True)
    )
    for document_id in waiting:
        enqueue(document_id)
    from documents.switching import resume_waiting as resume_switch

    resume_switch(tenant)  # a switch of embedding model waiting for the same budget
    return waiting


def requeue(
    documents: Iterable[Document], by: Any = None, *, enqueue_task: bool = True, key: Any = None
) -> list[Document]:
    """Queue finished (ready or failed) documents for another run; return the ones queued.

    A document already queued or processing is left alone: its run is on the way. `by` is who
    asked (metered for the tokens), None for operators; `key`, the API key that asked, if one did.
    """
    queued = []
    for document in documents:
        if _mark_queued(document, by, key):
            queued.append(document)
            if enqueue_task:
                enqueue(document.pk)
    return queued


def _mark_queued(document: Document, by: Any, key: Any = None) -> bool:
    fields = {
        "status": Status.QUEUED,
        "error": "",
        "pages_done": 0,
        "chunks_embedded": 0,
        "ocr_pages": 0,  # the text pass counts them again (stored pages are not read again)
        "ocr_done": 0,
        "attempts": 0,
        "queued_by": by if getattr(by, "pk", None) else None,
        "queued_by_key": key,
        "updated": timezone.now(),
    }
    finished = (Status.READY, Status.FAILED)
    if Document.objects.filter(pk=document.pk, status__in=finished).update(**fields) != 1:
        return False
    for name, value in fields.items():
        setattr(document, name, value)
    return True
