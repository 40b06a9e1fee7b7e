"""Crash recovery: documents whose worker died are queued again.

A run holds its document under a lease that a heartbeat renews every third of
DOCUMENT_LEASE_SECONDS (documents/pipeline.py). django-tasks-db marks a task RUNNING when a worker
claims it and has no way to notice that the worker was killed, so that task stays RUNNING forever.
`sweep()` finds the work such deaths leave behind:

1. A document processing under an expired lease: its worker stopped renewing it, so it is dead.
   Its task result is marked failed ("worker lost"), and the document is queued again; unless
   that was its MAX_INDEXING_ATTEMPTS-th run, when it fails saying so (a poison file must not
   take every worker down in turn, for ever).
2. A document queued for longer than a lease with no task waiting and none started within a
   lease: its task was lost (the process died between commit and enqueue, or while starting it).
   It gets a new task.
3. A budget reservation past its expiry (usage/quotas.py): the chat turn or document run that held
   it died, so its estimate goes back to the budget.
4. A switch of embedding model (documents/switching.py) whose lease ran out, whose task was lost,
   or whose clean-up was left unfinished: it is queued again.
5. A chat answer still streaming long after it began (chat/service.py): the server process writing
   it died, so it is marked failed, keeping the text saved so far, and its page offers Retry.

Every worker runs a sweeper thread: once at start, then every half lease (see DocumentsConfig).
Re-queueing is a conditional update, so workers sweeping at once queue a document only once, and
the pipeline replaces chunks atomically, so the re-run never duplicates them.
"""

import logging
import threading
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chat.service import fail_abandoned
from documents import live, switching
from documents.models import Document
from documents.queueing import enqueue
from usage import quotas

logger = logging.getLogger(__name__)

Status = Document.Status
WORKER_LOST = "documents.recovery.WorkerLost"


def sweep() -> list[int]:
    """Re-queue the documents of dead runs and lost tasks; return their ids. Also give back the
    budget reservations that processes (web or worker) died holding, and fail the chat answers
    that web processes died writing."""
    recovered = [*_expired_leases(), *_lost_tasks()]
    for document_id in recovered:
        logger.warning("Re-queued document %s: its worker or task was lost.", document_id)
    for tenant_id in switching.recover():
        logger.warning("Re-queued the embedding switch of tenant %s: its worker or task was lost.", tenant_id)
    if released := quotas.release_expired():
        logger.warning("Gave back %s budget reservations whose process died holding them.", released)
    if failed := fail_abandoned():
        logger.warning("Marked %s chat answers failed: the process writing them died.", failed)
    return recovered


def _expired_leases() -> list[int]:
    recovered = []
    stale = Document.objects.filter(status=Status.PROCESSING, lease_expires__lt=timezone.now())
    for document_id, token, attempts in stale.values_list("pk", "lease_token", "attempts"):
        with transaction.atomic():
            claimed = Document.objects.filter(pk=document_id, status=Status.PROCESSING, lease_token=token)
            if attempts >= settings.MAX_INDEXING_ATTEMPTS:
                _give_up(claimed, document_id, attempts)
            elif claimed.update(
                status=Status.QUEUED, lease_token=None, lease_expires=None, updated=timezone.now()
            ):
                _fail_running_tasks(document_id)
                enqueue(document_id)
                recovered.append(document_id)
    return recovered


def _give_up(claimed: "QuerySet[Document]", document_id: int, attempts: int) -> None:
    now = timezone.now()
    reason = (
        f"Indexing stopped {attempts} times without finishing: the worker reading this file died "
        "each time. Re-index it to try again."
    )
    if claimed.update(status=Status.FAILED, error=reason, lease_token=None, lease_expires=None,
                      processed=now, updated=now):  # fmt: skip
        _fail_running_tasks(document_id)
        logger.error("Document %s failed after %s runs whose worker died.", document_id, attempts)
        document = Document.objects.filter(pk=document_id).first()
        if document is not None:
            transaction.on_commit(lambda: live.push_state(document))


def _lost_tasks() -> list[int]:
    recovered = []
    since = timezone.now() - timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)
    for document_id in Document.objects.filter(status=Status.QUEUED, updated__lt=since).values_list(
        "pk", flat=True
    ):
        tasks = _tasks_for(document_id)
        waiting = tasks.filter(status=TaskResultStatus.READY).exists()
        starting = tasks.filter(status=TaskResultStatus.RUNNING, started_at__gte=since).exists()
        if not waiting and not starting:
            with transaction.atomic():
                _fail_running_tasks(document_id)
                enqueue(document_id)
            recovered.append(document_id)
    return recovered


def _tasks_for(document_id: int) -> "QuerySet[DBTaskResult]":
    from documents.tasks import ingest_document, ocr_document

    paths = [ingest_document.module_path, ocr_document.module_path]
    return DBTaskResult.objects.filter(task_path__in=paths, args_kwargs__args=[document_id])


def _fail_running_tasks(document_id: int) -> None:
    _tasks_for(document_id).filter(status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=WORKER_LOST,
        traceback="The worker running this task stopped (it was killed or crashed); "
        "the document was queued again.",
    )


def start_sweeper() -> threading.Thread:
    """Sweep now and then every half lease, in a daemon thread of this (worker) process."""
    thread = threading.Thread(target=_sweep_forever, name="documents-recovery", daemon=True)
    thread.start()
    return thread


def _sweep_forever() -> None:
    interval = max(settings.DOCUMENT_LEASE_SECONDS / 2, 0.5)
    while not apps.ready:  # started from AppConfig.ready(): query only once every app is loaded
        threading.Event().wait(0.05)
    while True:
        try:
            close_old_connections()
            sweep()
        except Exception:  # the database may be restarting: try again next time
            logger.exception("Document recovery sweep failed")
        finally:
            connection.close()
        threading.Event().wait(interval)
