"""Runs on a real, indexed PDF: the scores, the comparison with the previous run, the automatic
runs after a re-index and a model switch, and that a run sees only its own workspace."""

import pytest

from docuchat.testing import Cast
from documents import queueing, switching
from documents.models import Document, SearchIndex
from evaluation import runner
from evaluation.models import EvalQuestion, EvalRun
from evaluation.tests.conftest import marker_question, ready_document

pytestmark = pytest.mark.django_db


def run_now(tenant, trigger: str = EvalRun.Trigger.MANUAL) -> EvalRun:
    run = runner.start(tenant, trigger, enqueue=False)
    finished = runner.execute(run.pk)
    assert finished is not None and finished.status == EvalRun.Status.DONE, finished and finished.error
    return finished


def test_it_scores_where_the_answer_page_ranked(pump: Document) -> None:
    for page in (1, 3, 5):
        marker_question(pump, page, label="phrase")
    EvalQuestion.objects.create(
        tenant=pump.tenant, document=pump, question="zebra quantum marmalade?", pages=[2], label="nonsense"
    )
    run = run_now(pump.tenant)
    assert (run.questions_total, run.questions_done, run.k) == (4, 4, 6)
    assert run.embedding_model == pump.embedding_model
    ranks = [r["rank"] for r in run.results]
    assert ranks[:3] == [1, 1, 1]  # each marker is on its own page only
    assert run.hit_at_1 == pytest.approx(3 / 4 if ranks[3] != 1 else 1.0)
    assert run.mrr >= 0.75
    assert run.groups["phrase"] == {"questions": 3, "hit_at_1": 1.0, "hit_at_k": 1.0, "mrr": 1.0, "k": 6}
    first = run.results[0]
    assert first["text"] == "Where is pagemarker0001 mentioned?"
    assert first["title"] == pump.title and first["pages"] == [1]
    assert first["found"][0] == {
        "document": str(pump.public_id), "title": pump.title, "page_start": 1,
        "page_end": first["found"][0]["page_end"], "page": 1,
    }  # fmt: skip


def test_it_says_which_questions_got_worse_since_the_previous_run(pump: Document) -> None:
    kept = marker_question(pump, 2)
    moved = marker_question(pump, 4)
    first = run_now(pump.tenant)
    assert runner.worse(None, first) == []
    # The expected page of one question changes: it now ranks nowhere.
    EvalQuestion.objects.filter(pk=moved.pk).update(pages=[1])
    second = run_now(pump.tenant)
    assert runner.previous_of(second) == first
    changes = runner.worse(first, second)
    assert [(c.result["question"], c.before, c.after) for c in changes] == [(str(moved.public_id), 1, None)]
    assert kept.public_id not in {c.result["question"] for c in changes}


def test_it_refuses_a_run_without_questions_or_beside_another(pump: Document) -> None:
    with pytest.raises(runner.RunRefused, match="Add some questions first"):
        runner.start(pump.tenant, enqueue=False)
    marker_question(pump, 1)
    runner.start(pump.tenant, enqueue=False)
    with pytest.raises(runner.RunRefused, match="already queued or running"):
        runner.start(pump.tenant, enqueue=False)
    assert EvalRun.objects.count() == 1


def test_it_claims_a_run_once(pump: Document) -> None:
    marker_question(pump, 1)
    run = runner.start(pump.tenant, enqueue=False)
    assert runner.execute(run.pk) is not None
    assert runner.execute(run.pk) is None  # a duplicate task finds nothing to do


def test_it_asks_only_the_workspace_own_documents(cast: Cast, pump: Document) -> None:
    theirs = ready_document(cast, tenant="globex", name="Globex pump manual.pdf")
    marker_question(theirs, 3)  # globex's question: never part of acme's runs
    marker_question(pump, 3)
    run = run_now(cast.acme)
    assert run.questions_total == 1
    found = {f["document"] for r in run.results for f in r["found"]}
    assert found == {str(pump.public_id)}


def test_it_runs_again_after_a_reindex_once_the_last_document_is_ready(
    cast: Cast, pump: Document, immediate_tasks: None, django_capture_on_commit_callbacks
) -> None:
    from documents import pipeline

    # One page: its marker is not page 2's, so the question has one answer, the pump's page 2 (with
    # both, which of two equal matches comes first is a tie: it depends on the random text around).
    other = ready_document(cast, pages=1, name="Valve guide.pdf")
    marker_question(pump, 2)
    assert not EvalRun.objects.exists()  # a first indexing is not a re-index
    with django_capture_on_commit_callbacks(execute=True):
        queueing.requeue([pump, other], enqueue_task=False)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.ingest(pump.pk, stage=pipeline.Stage.ALL)
    assert not EvalRun.objects.exists()  # the valve guide is still queued
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.ingest(other.pk, stage=pipeline.Stage.ALL)
    run = EvalRun.objects.get()
    assert (run.trigger, run.status, run.hit_at_1) == (EvalRun.Trigger.REINDEX, EvalRun.Status.DONE, 1.0)


def test_it_runs_again_after_an_embedding_model_switch(
    pump: Document, immediate_tasks: None, django_capture_on_commit_callbacks
) -> None:
    marker_question(pump, 2)
    index = SearchIndex.objects.get(tenant=pump.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        switching.switch_finished.send(sender=SearchIndex, index=index)
    run = EvalRun.objects.get()
    assert (run.trigger, run.status) == (EvalRun.Trigger.MODEL_SWITCH, EvalRun.Status.DONE)


def test_it_does_not_run_by_itself_without_questions(pump: Document) -> None:
    index = SearchIndex.objects.get(tenant=pump.tenant)
    switching.switch_finished.send(sender=SearchIndex, index=index)
    assert not EvalRun.objects.exists()
