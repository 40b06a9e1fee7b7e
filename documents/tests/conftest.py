"""Fixtures for the documents tests: isolated file storage, task backends, uploads, a fake OpenAI."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.fake_openai import FakeOpenAI
from docuchat.testing import Cast, LiveApp, start_live_app, stop_live_app
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs

QUEUES = ["default", "ocr"]  # as in settings: OCR has a queue of its own
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}}


@pytest.fixture(autouse=True)
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Every test stores files in its own folder, so it can check what is left there."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def tasks_not_run(settings: SettingsWrapper) -> None:
    """By default enqueued tasks are kept, not run: tests run the pipeline when they mean to."""
    settings.TASKS = DUMMY


@pytest.fixture
def immediate_tasks(settings: SettingsWrapper) -> None:
    """Enqueued tasks run at once, in the test (after the transaction's on_commit)."""
    settings.TASKS = IMMEDIATE


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def pdf_upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def upload(client: Client, *files: SimpleUploadedFile, slug: str = "acme", htmx: bool = True) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/t/{slug}/documents/", {"files": list(files)}, headers=headers, follow=not htmx)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def make_document(
    cast: Cast, data: bytes | None = None, *, tenant: str = "acme", name: str = "doc.pdf"
) -> Document:
    """A queued document stored the way an upload stores it (its task is not run)."""
    from documents import uploads

    owner = cast.owner if tenant == "acme" else cast.other
    outcome = uploads.accept(getattr(cast, tenant), owner, pdf_upload(name, data or pdfs.text_pdf(3)))
    assert outcome.document is not None, outcome.error
    return outcome.document


def ingest_now(document: Document) -> Document:
    result = pipeline.ingest(document.pk)
    assert result is not None
    return result


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(dimensions=512) as server:
        yield server


@pytest.fixture
def openai_settings(settings: SettingsWrapper, fake_openai: FakeOpenAI) -> FakeOpenAI:
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_MAX_RETRIES = 2
    settings.OPENAI_TIMEOUT = 5.0
    return fake_openai


@pytest.fixture
def live_app_with_worker(transactional_db: None, tmp_path: Path) -> Iterator[LiveApp]:
    """daphne and a db_worker on the test database; uploads land in tmp_path/data/media."""
    app = start_live_app(tmp_path, worker=True, extra_env=live_env(tmp_path))
    yield app
    stop_live_app(app)


def live_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The server's and worker's environment: offline embeddings unless `extra` says otherwise."""
    return {"DATA_DIR": str(tmp_path / "data"), "OPENAI_API_KEY": "", **extra}


def enqueued_ids() -> list[int]:
    """The document ids of the ingest tasks the (dummy) backend has queued in this test."""
    from django.tasks import task_backends

    return [r.args[0] for r in task_backends["default"].results if r.task.name == "ingest_document"]
