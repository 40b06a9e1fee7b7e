"""Shared steps of the OCR tests: the tasks queued, and a document's stored pages."""

from django.tasks import task_backends

from documents.models import Document, DocumentPage


def queued_tasks() -> list[tuple[str, str, int]]:
    """(task name, queue, document id) of every task the dummy backend holds in this test."""
    return [(r.task.name, r.task.queue_name, r.args[0]) for r in task_backends["default"].results]


def page_sources(document: Document) -> dict[int, str]:
    rows = DocumentPage.objects.filter(tenant=document.tenant, document=document).order_by("number")
    return dict(rows.values_list("number", "source"))


def page_text(document: Document, number: int) -> str:
    return DocumentPage.objects.get(tenant=document.tenant, document=document, number=number).text
