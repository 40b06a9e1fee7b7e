"""Real `manage.py db_worker` processes on the test database, for the tests that need them."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from docuchat.testing import BASE_DIR, database_url

ALL_QUEUES = ("--queue-name", "*")
DEFAULT_QUEUES = ("--queue-name", "*", "--exclude-queues", "ocr")  # as ./dev run and compose
OCR_QUEUE = ("--queue-name", "ocr")


def start_worker(
    tmp_path: Path, name: str, queues: tuple[str, ...] = ALL_QUEUES, **env: str
) -> subprocess.Popen[bytes]:
    """A worker with offline embeddings, reading uploads from tmp_path/media, logging to name.log."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(tmp_path),
        "DEBUG": "true",
        "OPENAI_API_KEY": "",
        **env,
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "manage.py", "db_worker", *queues, "--no-reload", "--interval", "0.2"]
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [*command, "--no-startup-delay"], cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def children(pid: int, marker: str) -> list[int]:
    """The pids of `pid`'s child processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and marker in command:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (not gone, and not a zombie waiting to be reaped)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
