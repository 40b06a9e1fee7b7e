"""A switch waits for the budget, saying why, and resumes when it is raised; a switch whose worker
died is queued again by the recovery sweep and finishes without paying for a document twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.tasks import task_backends
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.retrieval import search
from chat.tests.factories import make_document
from docuchat.fake_openai import EMBEDDINGS, FakeOpenAI
from docuchat.testing import Cast
from documents import index, recovery, switching
from documents.models import SearchIndex
from usage.models import Quota, UsageRecord

pytestmark = pytest.mark.django_db
NOV_20 = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))
State = SearchIndex.State


@pytest.fixture
def offline_workspace_then_key(
    cast: Cast, openai_settings: FakeOpenAI, settings: SettingsWrapper
) -> FakeOpenAI:
    settings.OPENAI_API_KEY = ""
    make_document(cast.acme, "Handbook", ["Refund policy: customers may return any product within 30 days."])
    make_document(cast.acme, "Travel", ["Travel expenses are reimbursed within 14 days with receipts."])
    settings.OPENAI_API_KEY = "test-key"
    return openai_settings


def switch_runs() -> list[tuple[int, datetime | None]]:
    results = task_backends["default"].results
    return [(r.args[0], r.task.run_after) for r in results if r.task.name == "switch_embeddings"]


@time_machine.travel(NOV_20)
def test_it_waits_for_the_budget_saying_why_and_resumes_when_it_is_raised(
    cast: Cast, offline_workspace_then_key: FakeOpenAI, django_capture_on_commit_callbacks
) -> None:
    quota = Quota.objects.create(tenant=cast.acme, monthly_tokens=5)
    switching.start(cast.acme, "text-embedding-3-small:512", by=cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        switching.run(cast.acme.pk)

    waiting = index.current(cast.acme)
    assert waiting.state == State.WAITING and waiting.target is not None
    assert waiting.error.startswith("Waiting for budget: This would exceed the workspace's monthly budget")
    assert not offline_workspace_then_key.requests_to(EMBEDDINGS)  # nothing paid for
    assert (cast.acme.pk, waiting.budget_wait_until) in switch_runs()  # a run at the reset
    assert search(cast.acme, "refund policy")[0].title == "Handbook"  # the old model still answers

    with django_capture_on_commit_callbacks(execute=True):
        quota.monthly_tokens = 1_000_000
        quota.save()
    assert index.current(cast.acme).state == State.QUEUED
    switching.run(cast.acme.pk)
    assert index.current(cast.acme).store.model == "text-embedding-3-small"


def test_a_switch_whose_worker_died_is_resumed_and_pays_for_each_document_once(
    cast: Cast, offline_workspace_then_key: FakeOpenAI, django_capture_on_commit_callbacks
) -> None:
    switching.start(cast.acme, "text-embedding-3-small:512", by=cast.owner)
    token = switching.claim(cast.acme.pk)  # a worker took it ...
    current = index.current(cast.acme)
    first = switching.missing(cast.acme.pk, current.target).first()
    switching.embed_document(current, token, first, index.embedder_for(current.target))  # ... did one
    assert switching.claim(cast.acme.pk) is None  # its lease holds while it lives
    SearchIndex.objects.filter(pk=cast.acme.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        recovery.sweep()  # ... and died: its lease ran out
    assert index.current(cast.acme).state == State.QUEUED and (cast.acme.pk, None) in switch_runs()

    switching.run(cast.acme.pk)
    assert switching.run(cast.acme.pk) is None  # a duplicate task finds nothing to claim
    assert index.current(cast.acme).store.model == "text-embedding-3-small"
    paid = UsageRecord.objects.filter(kind="document_embedding").values_list("document__title", flat=True)
    assert sorted(paid) == ["Handbook", "Travel"]  # each once
