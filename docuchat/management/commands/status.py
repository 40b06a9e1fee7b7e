"""`manage.py status`: what /healthz checks, with the details, the workers and the queues."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from docuchat import health


class Command(BaseCommand):
    help = (
        "Print the health of every part, the live workers and each queue's depth; exit 1 if any part fails."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failing = health.failing_parts()
        self.stdout.write("Parts:")
        for part in health.PARTS:
            if part.name in failing:
                self.stdout.write(f"  {part.name:<16} FAILING  {failing[part.name]}")
            else:
                self.stdout.write(f"  {part.name:<16} ok")
        if "database" not in failing:
            self._warnings()
            self._workers()
            self._queues()
        if failing:
            raise CommandError(f"failing: {', '.join(failing)}")

    def _warnings(self) -> None:
        from docuchat.views import WARNINGS, _warnings

        for name, warn in WARNINGS.items():
            for text in _warnings(warn):
                self.stdout.write(f"  {name:<16} WARNING  {text}")

    def _workers(self) -> None:
        workers = health.workers_seen()
        now = timezone.now()
        self.stdout.write(f"\nWorkers seen lately: {len(workers)}")
        for worker in workers:
            ago = (now - worker.seen).total_seconds()
            up = (now - worker.started).total_seconds() / 60
            self.stdout.write(
                f"  {worker.name:<32} queues {worker.queues:<12} seen {ago:4.0f} s ago, up {up:.0f} min"
            )

    def _queues(self) -> None:
        waiting = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values("queue_name")
            .annotate(count=Count("id"), oldest=Min("enqueued_at"))
            .order_by("queue_name")
        )
        running = dict(
            DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
            .values_list("queue_name")
            .annotate(count=Count("id"))
        )
        queues = {row["queue_name"]: row for row in waiting}
        self.stdout.write("\nQueues (waiting / running, oldest waiting):")
        if not queues and not running:
            self.stdout.write("  empty")
        now = timezone.now()
        for name in sorted(set(queues) | set(running)):
            row = queues.get(name, {"count": 0, "oldest": None})
            oldest = f"{(now - row['oldest']).total_seconds():.0f} s" if row["oldest"] else "-"
            self.stdout.write(f"  {name:<16} {row['count']:6} / {running.get(name, 0):<6} {oldest}")
