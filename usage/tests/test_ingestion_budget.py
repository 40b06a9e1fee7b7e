"""Ingestion checks the budget before paying for embeddings, waits when over it, and resumes."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.tasks import task_backends
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.fake_openai import EMBEDDINGS, FakeOpenAI, Recorded, Reply
from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import DUMMY, make_document
from usage import metering
from usage.models import Quota, UsageRecord

pytestmark = pytest.mark.django_db
NOV_20 = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def isolated(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DUMMY


@pytest.fixture
def openai(settings: SettingsWrapper) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(dimensions=512) as server:
        settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "test-key", server.base_url
        settings.OPENAI_MAX_RETRIES, settings.EMBEDDING_BATCH_SIZE = 0, 4
        yield server


def queued_runs() -> list[tuple[int, datetime | None]]:
    return [
        (r.args[0], r.task.run_after)
        for r in task_backends["default"].results
        if r.task.name == "ingest_document"
    ]


@time_machine.travel(NOV_20)
def test_it_leaves_a_document_queued_with_the_reason_before_any_embedding_call(
    cast: Cast,
    openai: FakeOpenAI,
    django_capture_on_commit_callbacks,
) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=100)
    document = make_document(cast, pdfs.text_pdf(4))
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.ingest(document.pk) is not None
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED
    assert document.error.startswith("Waiting for budget: This would exceed the workspace's monthly budget")
    assert "resets on Dec. 1, 2026" in document.error
    assert document.budget_wait_until == datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))
    assert openai.requests_to(EMBEDDINGS) == [] and not UsageRecord.objects.exists()
    assert (document.pk, document.budget_wait_until) in queued_runs()  # resumes at the reset
    assert not document.chunks.exists()


@time_machine.travel(NOV_20)
def test_it_resumes_waiting_documents_when_the_budget_is_raised(
    cast: Cast,
    openai: FakeOpenAI,
    django_capture_on_commit_callbacks,
) -> None:
    quota = Quota.objects.create(tenant=cast.acme, monthly_tokens=100)
    document = make_document(cast, pdfs.text_pdf(4))
    pipeline.ingest(document.pk)
    with django_capture_on_commit_callbacks(execute=True):
        quota.monthly_tokens = 1_000_000
        quota.save()
    assert (document.pk, None) in queued_runs()
    ready = pipeline.ingest(document.pk)
    assert ready.status == Document.Status.READY and ready.error == "" and ready.budget_wait_until is None
    assert document.chunks.count() == ready.chunks_total > 0


@time_machine.travel(NOV_20)
def test_it_meters_the_embedding_tokens_the_server_reports(cast: Cast, openai: FakeOpenAI) -> None:
    def reported(request: Recorded) -> Reply:
        reply = openai.embeddings(request)
        reply.json["usage"] = {"prompt_tokens": 1000 + len(request.json["input"]), "total_tokens": 0}
        return reply

    openai.route(EMBEDDINGS, reported)
    document = pipeline.ingest(make_document(cast, pdfs.text_pdf(6)).pk)
    batches = [len(r.json["input"]) for r in openai.requests_to(EMBEDDINGS)]
    usage = UsageRecord.objects.get()
    assert len(batches) > 1
    assert usage.prompt_tokens == document.embedding_tokens == sum(1000 + n for n in batches)
    assert (usage.kind, usage.model, usage.completion_tokens) == (
        "document_embedding",
        "text-embedding-3-small",
        0,
    )
    assert usage.cost == metering.cost_of("text-embedding-3-small", usage.prompt_tokens, 0) > 0


@time_machine.travel(NOV_20)
def test_it_meters_the_batches_paid_for_before_a_failure(cast: Cast, openai: FakeOpenAI) -> None:
    openai.queue(EMBEDDINGS, Reply(), Reply(status=500))
    document = pipeline.ingest(make_document(cast, pdfs.text_pdf(6)).pk)
    assert document.status == Document.Status.FAILED
    first_batch = openai.requests_to(EMBEDDINGS)[0].json["input"]
    usage = UsageRecord.objects.get()
    from docuchat.lib.tokens import count_tokens

    assert usage.prompt_tokens == sum(count_tokens(text) for text in first_batch)


@time_machine.travel(NOV_20)
def test_it_tells_the_operator_a_file_waits_for_budget(cast: Cast, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    Quota.objects.create(tenant=cast.acme, monthly_tokens=10)
    (tmp_path / "manual.pdf").write_bytes(pdfs.text_pdf(2))
    out = StringIO()
    call_command("ingest", str(tmp_path / "manual.pdf"), "--tenant", "acme", stdout=out)
    assert "QUEUED  manual.pdf: Waiting for budget: This would exceed" in out.getvalue()
