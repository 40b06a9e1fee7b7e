import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from docuchat.heartbeat import beat, worker_queues
from docuchat.models import WorkerHeartbeat
from docuchat.testing import BASE_DIR, database_url, stop_processes


def enqueue(queue: str, count: int) -> None:
    for _ in range(count):
        DBTaskResult.objects.create(
            task_path="documents.tasks.ingest_document",
            args_kwargs={"args": [1], "kwargs": {}},
            queue_name=queue,
            backend_name="default",
            run_after=timezone.now(),
        )


@pytest.mark.django_db
def test_it_prints_every_part_the_workers_and_the_queue_depths(capsys: pytest.CaptureFixture[str]) -> None:
    beat("host-a:7", "*")
    beat("host-b:8", "ocr")
    enqueue("default", 3)
    enqueue("ocr", 1)
    call_command("status")
    out = capsys.readouterr().out
    for part in ("database", "cache", "channel_layer", "worker"):
        assert f"  {part:<16} ok" in out
    assert "Workers seen lately: 2" in out
    assert "host-a:7" in out and "queues ocr" in out
    assert "default" in out and "     3 / 0" in out
    assert "ocr" in out and "     1 / 0" in out


@pytest.mark.django_db
def test_it_fails_naming_the_part_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    WorkerHeartbeat.objects.create(name="gone:1", queues="*", seen=timezone.now() - timedelta(minutes=5))
    with pytest.raises(CommandError, match="failing: worker"):
        call_command("status")
    assert (
        "worker           FAILING  no worker has sent a heartbeat in the last 30 seconds"
        in capsys.readouterr().out
    )


def test_it_reads_the_queues_a_worker_serves() -> None:
    assert worker_queues(["manage.py", "db_worker", "--queue-name", "*"]) == "*"
    assert worker_queues(["manage.py", "db_worker", "--queue-name=ocr,default"]) == "ocr,default"
    assert worker_queues(["manage.py", "db_worker"]) == "default"


@pytest.mark.django_db(transaction=True)
def test_it_sees_a_real_worker_beat_and_forget_itself_when_it_stops(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "docuchat.settings",
    }
    cmd = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.2"]
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.exists():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.1)
        first = WorkerHeartbeat.objects.get()
        assert first.name.endswith(f":{worker.pid}") and first.queues == "*"
        time.sleep(1.5)
        assert WorkerHeartbeat.objects.get().seen > first.seen
    finally:
        stop_processes([worker])
    assert not WorkerHeartbeat.objects.exists()  # a clean stop removes its row
