"""`manage.py db_worker`: django-tasks-db's worker, kept alive through a database restart.

django-tasks-db's loop re-raises any database error but a locked table, so a restart of
PostgreSQL ended the worker, and nothing was indexed until someone restarted it. This command is
the library's own (same options), with a Worker whose loop waits for the database instead:

1. A query of the loop fails because the database is away (docuchat.lib.dbwait.OUTAGE_ERRORS):
   log it, wait with backoff until the database answers, and poll again.
2. A task was running when it went away and its result could not be saved: once the database is
   back the task goes back to the queue (tasks are idempotent, so running it again is safe;
   a document's own lease makes its run safe to repeat).

Any other error still stops the worker, as before. The app "docuchat" is listed before
"django_tasks_db" in INSTALLED_APPS, so this command is the one `db_worker` runs.
"""

import logging

from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from docuchat.lib.dbwait import OUTAGE_ERRORS, one_line, wait_for_database

logger = logging.getLogger("docuchat.worker")


class ResilientWorker(db_worker.Worker):
    def run(self) -> None:
        while True:
            try:
                super().run()
                return
            except OUTAGE_ERRORS as exc:
                if not self.running:
                    raise
                logger.warning(
                    "Worker %s lost the database (%s); waiting for it.", self.worker_id, one_line(exc)
                )
                wait_for_database(f"Worker {self.worker_id}")
                self.startup_delay = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except OUTAGE_ERRORS:
            wait_for_database(f"Worker {self.worker_id}, task {db_task_result.id}")
            requeued = DBTaskResult.objects.filter(
                pk=db_task_result.pk, status=TaskResultStatus.RUNNING
            ).update(status=TaskResultStatus.READY, started_at=None)
            if requeued:
                logger.warning("Task %s was cut off by the outage; it is queued again.", db_task_result.id)


class Command(db_worker.Command):
    help = db_worker.Command.help + " Survives database restarts (waits for the database, with backoff)."

    def handle(self, *args: object, **options: object) -> None:
        # The library's handle() builds its Worker by name: swap ours in for this call.
        original = db_worker.Worker
        db_worker.Worker = ResilientWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
