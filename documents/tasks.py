"""Background tasks of the documents app (django.tasks, on the django-tasks-db queue)."""

from django.tasks import task


@task()
def ingest_document(document_id: int) -> str:
    """Index one document. Idempotent: a duplicate or stale task finds nothing to claim."""
    from documents import pipeline

    document = pipeline.ingest(document_id)
    return document.status if document else "skipped"
