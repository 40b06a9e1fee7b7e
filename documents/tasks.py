"""Background tasks of the documents app (django.tasks, on the django-tasks-db queue)."""

from django.tasks import task

OCR_QUEUE = "ocr"


@task()
def ingest_document(document_id: int) -> str:
    """Index one document. Idempotent: a duplicate or stale task finds nothing to claim.

    A document with pages to OCR leaves this queue for OCR_QUEUE (see documents/pipeline.py)."""
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


@task(queue_name=OCR_QUEUE)
def ocr_document(document_id: int) -> str:
    """Read a document's scanned pages by OCR, then index it. Idempotent, as ingest_document."""
    from documents import pipeline

    document = pipeline.ingest(document_id, stage=pipeline.Stage.OCR)
    return document.status if document else "skipped"
