"""Worker heartbeats: each `db_worker` process says it is alive every WORKER_HEARTBEAT_SECONDS.

A row per process (docuchat.models.WorkerHeartbeat), upserted by a daemon thread. A worker that
stops cleanly deletes its row; one that is killed simply stops renewing it, and its row is
deleted a day later by whichever worker beats next.
"""

import atexit
import logging
import os
import socket
import sys
import threading
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from docuchat.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def worker_queues(argv: list[str] | None = None) -> str:
    """The queues this worker serves, from its --queue-name (django-tasks-db's default: "default")."""
    args = list(argv if argv is not None else sys.argv)
    for i, arg in enumerate(args):
        if arg == "--queue-name" and i + 1 < len(args):
            return args[i + 1][:500]
        if arg.startswith("--queue-name="):
            return arg.split("=", 1)[1][:500]
    return "default"


def beat(name: str, queues: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"queues": queues, "seen": now},
        create_defaults={"queues": queues, "started": now},
    )
    WorkerHeartbeat.objects.filter(seen__lt=now - FORGET_AFTER).delete()


def start() -> threading.Thread:
    """Beat now and every WORKER_HEARTBEAT_SECONDS from a daemon thread of this worker process."""
    name, queues = worker_name(), worker_queues()
    thread = threading.Thread(target=_beat_forever, args=(name, queues), name="worker-heartbeat", daemon=True)
    thread.start()
    atexit.register(_forget, name)
    return thread


def _beat_forever(name: str, queues: str) -> None:
    apps.ready_event.wait()  # started from AppConfig.ready(): let the other apps finish first
    while True:
        try:
            close_old_connections()
            beat(name, queues)
        except Exception:  # the database may be restarting: beat again next time
            logger.exception("Worker heartbeat failed")
        finally:
            connection.close()
        threading.Event().wait(settings.WORKER_HEARTBEAT_SECONDS)


def _forget(name: str) -> None:
    try:
        WorkerHeartbeat.objects.filter(name=name).delete()
    except Exception:  # exiting anyway; the row expires by itself
        logger.warning("Could not remove this worker's heartbeat on exit", exc_info=True)
