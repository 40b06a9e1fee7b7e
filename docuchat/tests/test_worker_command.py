"""`manage.py db_worker` is ours: django-tasks-db's command with a worker that waits out outages."""

import inspect

import pytest
from django.core.management import get_commands, load_command_class
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker as library
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.management.commands.db_worker import ResilientWorker
from usage.tasks import email_budget_warning


def test_it_runs_our_worker_command() -> None:
    assert get_commands()["db_worker"] == "docuchat"
    assert isinstance(load_command_class("docuchat", "db_worker"), library.Command)


def test_it_still_finds_the_library_building_its_worker_by_name() -> None:
    """Our command swaps `Worker` in the library's module for its call: that needs the library
    (pinned at django-tasks-db 0.13.0) to keep building it by that name in handle()."""
    assert "Worker(" in inspect.getsource(library.Command.handle)
    assert issubclass(ResilientWorker, library.Worker)


@pytest.mark.django_db(transaction=True)
def test_it_requeues_a_task_whose_result_the_outage_kept_from_being_saved(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database went away while a task ran: its result could not be written, so once the
    database is back the task is queued again instead of staying RUNNING forever."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = email_budget_warning.enqueue(0)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("test-worker")

    def database_gone(self: DBTaskResult, *args: object) -> None:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(DBTaskResult, "set_successful", database_gone)
    monkeypatch.setattr(DBTaskResult, "set_failed", database_gone)
    worker = ResilientWorker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )  # fmt: skip
    worker.run_task(row)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and row.started_at is None
