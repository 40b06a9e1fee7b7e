"""A document whose worker died is queued again; one whose worker is alive is left alone."""

from datetime import timedelta

import time_machine
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from docuchat.testing import Cast
from documents import pipeline, recovery
from documents.models import Document
from documents.tests.conftest import enqueued_ids, ingest_now, make_document

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "ocr"]}}


def test_it_requeues_a_document_whose_lease_ran_out(cast: Cast, django_capture_on_commit_callbacks) -> None:
    document = make_document(cast)
    assert pipeline.claim(document.pk) is not None  # ... and then the worker was killed
    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert recovery.sweep() == [document.pk]
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED and document.lease_token is None
    assert enqueued_ids() == [document.pk]
    assert ingest_now(document).status == Document.Status.READY


def test_it_leaves_a_document_alone_while_its_lease_is_renewed(cast: Cast) -> None:
    document = make_document(cast)
    run = pipeline.claim(document.pk)
    assert run is not None
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        run.progress(force=True, pages_done=1)  # progress renews the lease, as the heartbeat does
    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        assert recovery.sweep() == []
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING


@override_settings(TASKS=DB_TASKS)
def test_it_marks_the_dead_workers_task_failed(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = make_document(cast)
    task = DBTaskResult.objects.get()
    task.claim("killed-worker")  # the worker took the task, claimed the document, then died
    pipeline.claim(document.pk)
    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert recovery.sweep() == [document.pk]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path == recovery.WORKER_LOST
    assert "The worker running this task stopped" in task.traceback
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1  # the new one


@override_settings(TASKS=DB_TASKS)
def test_it_enqueues_a_queued_document_whose_task_was_lost(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    document = make_document(cast)  # its on_commit never ran: the web process died
    assert not DBTaskResult.objects.exists()
    assert recovery.sweep() == []  # too recent to tell
    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert recovery.sweep() == [document.pk]
    assert DBTaskResult.objects.get().args_kwargs["args"] == [document.pk]


@override_settings(TASKS=DB_TASKS)
def test_it_leaves_a_queued_document_whose_task_is_waiting(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_document(cast)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):  # all workers busy
        assert recovery.sweep() == []
    assert DBTaskResult.objects.count() == 1


def test_it_leaves_ready_and_failed_documents_alone(cast: Cast) -> None:
    ingest_now(make_document(cast))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert recovery.sweep() == []


def test_it_runs_a_sweeper_in_worker_processes_only(monkeypatch) -> None:
    from documents.apps import is_worker_process

    monkeypatch.setattr("sys.argv", ["manage.py", "runserver"])
    assert not is_worker_process()
    monkeypatch.setattr("sys.argv", ["manage.py", "db_worker", "--no-reload"])
    assert is_worker_process()
    monkeypatch.setattr("sys.argv", ["manage.py", "db_worker", "--reload"])
    monkeypatch.delenv("RUN_MAIN", raising=False)
    assert not is_worker_process()  # the reloader's parent: its child sweeps
