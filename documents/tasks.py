"""Background tasks of the documents app (django.tasks, on the django-tasks-db queue)."""

from django.tasks import task


@task()
def ingest_document(document_id: int) -> str:
    """Index one document. Idempotent: a duplicate or stale task finds nothing to claim."""
    from documents import pipeline

    document = pipeline.ingest(document_id)
    return document.status if document else "skipped"


@task()
def switch_embeddings(tenant_id: int) -> str:
    """Build, switch to and clean up after a workspace's new embedding model (documents/switching.py).
    Idempotent: a duplicate finds nothing to claim, and a retry skips the documents already done."""
    from documents import switching

    current = switching.run(tenant_id)
    return current.state if current else "skipped"
