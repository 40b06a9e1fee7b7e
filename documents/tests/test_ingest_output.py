"""`manage.py ingest` prints progress and results only: no channel-layer chatter about groups
nobody listens to (it runs as an operator would, in its own process, on the PostgreSQL layer)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docuchat.testing import BASE_DIR, database_url, make_cast
from documents.tests import pdfs

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_prints_only_progress_and_results(tmp_path: Path) -> None:
    make_cast()
    (tmp_path / "manual.pdf").write_bytes(pdfs.text_pdf(4))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "",
        "REDIS_URL": "",  # the PostgreSQL channel layer, the one that warned
        "DJANGO_SETTINGS_MODULE": "docuchat.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "manage.py", "ingest", str(tmp_path / "manual.pdf"), "--tenant", "acme"]
    done = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines[-2].startswith("     OK  manual.pdf: 4 pages") and lines[-1] == "1 ok"
    progress = lines[:-2]
    assert progress and all(line.startswith("[1/1] manual.pdf: ") for line in progress), lines
