"""A worker killed in the middle of a document: the next worker finishes it, with no duplicates.

Real processes: `manage.py db_worker` on the test database, embedding through the OpenAI provider
against a local server that answers slowly, so the kill lands mid-document.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.fake_openai import EMBEDDINGS, FakeOpenAI, Recorded, Reply
from docuchat.testing import BASE_DIR, database_url, make_cast
from documents import recovery, uploads
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import pdf_upload
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "ocr"]}}


@pytest.fixture
def slow_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(dimensions=512) as server:
        real = server.embeddings

        def slowly(request: Recorded) -> Reply:
            time.sleep(0.4)
            return real(request)

        server.route(EMBEDDINGS, slowly)
        yield server


def start_worker(tmp_path: Path, server: FakeOpenAI, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(tmp_path),  # uploads are in tmp_path/media, as in this test
        "DEBUG": "true",
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": server.base_url,
        "EMBEDDING_BATCH_SIZE": "4",
        "DOCUMENT_LEASE_SECONDS": "2",
    }
    cmd = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.2"]
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [*cmd, "--no-startup-delay"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_it_finishes_a_document_after_its_worker_is_killed(
    settings: SettingsWrapper, tmp_path: Path, slow_openai: FakeOpenAI
) -> None:
    settings.TASKS = DB_TASKS
    cast = make_cast()
    document = uploads.accept(cast.acme, cast.owner, pdf_upload("long.pdf", pdfs.text_pdf(20))).document
    assert document is not None and DBTaskResult.objects.count() == 1

    def embedded_some() -> bool:
        document.refresh_from_db()
        return document.status == Document.Status.PROCESSING and document.chunks_embedded >= 4

    first = start_worker(tmp_path, slow_openai, "worker-1")
    try:
        wait_for(embedded_some, 60, "the first worker to embed a batch")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    requests_before = len(slow_openai.requests_to(EMBEDDINGS))
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING and not Chunk.objects.exists()

    second = start_worker(tmp_path, slow_openai, "worker-2")
    try:
        wait_for(lambda: Document.objects.get(pk=document.pk).status == Document.Status.READY, 60, "ready")
    finally:
        second.terminate()
        second.wait(10)

    document.refresh_from_db()
    ordinals = list(Chunk.objects.filter(document=document).values_list("ordinal", flat=True))
    assert sorted(ordinals) == list(range(document.chunks_total)) and document.chunks_total > 8
    assert len(slow_openai.requests_to(EMBEDDINGS)) > requests_before  # really done again
    assert UsageRecord.objects.filter(document=document).count() == 1  # the killed run metered nothing
    statuses = sorted(DBTaskResult.objects.values_list("status", "exception_class_path"))
    assert statuses == [
        (TaskResultStatus.FAILED, recovery.WORKER_LOST),
        (TaskResultStatus.SUCCESSFUL, ""),
    ]
