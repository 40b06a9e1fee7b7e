"""Running an evaluation: the one path the page's task, the automatic runs and the command share.

`start` records a queued run and hands it to a worker (tasks.run_evaluation); `execute` claims and
runs it; `evaluate` asks every question through evaluation.search and scores the answers, and is
what `manage.py evaluate --questions FILE` calls directly.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from documents import index
from documents.models import Document
from evaluation.importing import Parsed
from evaluation.models import EvalQuestion, EvalRun, FoundSource, QuestionResult
from evaluation.scoring import Expected, Scores, rank_of, summarise
from evaluation.search import retrieve
from tenants.models import Tenant

logger = logging.getLogger(__name__)

K = 6  # sources per question: what the chat gives the model (settings.TOP_K's default)
PROGRESS_EVERY = 5  # questions between progress writes
STALE_AFTER = timedelta(minutes=30)  # a run "running" this long lost its worker


class RunRefused(Exception):
    """Why a run cannot start now; the message is for the person who asked."""


@dataclass(frozen=True)
class Spec:
    """One question to ask: its text and where its answer is."""

    text: str
    document_id: int
    pages: tuple[int, ...]
    label: str = ""
    key: str = ""  # the EvalQuestion's public id, to compare runs


@dataclass
class Evaluation:
    scores: Scores
    groups: dict[str, Scores] = field(default_factory=dict)
    results: list[QuestionResult] = field(default_factory=list)


def specs_of(questions: Iterable[EvalQuestion]) -> list[Spec]:
    return [Spec(q.question, q.document_id, tuple(q.pages), q.label, str(q.public_id)) for q in questions]


def specs_from_rows(rows: Iterable[Parsed]) -> list[Spec]:
    return [Spec(r.question, r.document.pk, tuple(r.pages), r.label) for r in rows]


def evaluate(
    tenant: Tenant, specs: list[Spec], k: int = K, progress: Callable[[int], None] | None = None
) -> Evaluation:
    """Ask each question as the chat would and score where its answer ranked."""
    documents = {d.pk: d for d in Document.objects.filter(tenant=tenant).only("pk", "public_id", "title")}
    results: list[QuestionResult] = []
    by_label: dict[str, list[int | None]] = defaultdict(list)
    for done, spec in enumerate(specs, start=1):
        found = retrieve(tenant, spec.text, k)
        rank = rank_of(found, Expected(spec.document_id, frozenset(spec.pages)))
        by_label[spec.label].append(rank)
        results.append(_result(spec, rank, found, documents))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(specs)):
            progress(done)
    ranks = [r["rank"] for r in results]
    groups = (
        {label: summarise(r, k) for label, r in sorted(by_label.items()) if label}
        if len(by_label) > 1
        else {}
    )
    return Evaluation(summarise(ranks, k), groups, results)


def _result(spec: Spec, rank: int | None, found: list[Any], documents: dict[int, Document]) -> QuestionResult:
    expected = documents.get(spec.document_id)
    return QuestionResult(
        question=spec.key,
        text=spec.text,
        document=str(expected.public_id) if expected else "",
        title=expected.title if expected else "(deleted)",
        pages=list(spec.pages),
        label=spec.label,
        rank=rank,
        found=[_source(f, documents) for f in found],
    )


def _source(found: Any, documents: dict[int, Document]) -> FoundSource:
    document = documents.get(found.document_id)
    return FoundSource(
        document=str(document.public_id) if document else "",
        title=document.title if document else "(deleted)",
        page_start=found.page_start,
        page_end=found.page_end,
        page=found.page,
    )


# --- Runs ----------------------------------------------------------------------------------------
def in_progress(tenant: Tenant) -> QuerySet[EvalRun]:
    return EvalRun.objects.filter(tenant=tenant, status__in=[EvalRun.Status.QUEUED, EvalRun.Status.RUNNING])


def start(
    tenant: Tenant, trigger: str = EvalRun.Trigger.MANUAL, by: Any = None, *, enqueue: bool = True
) -> EvalRun:
    """Record a queued run of the tenant's questions and queue it for a worker (after commit).

    Refused (RunRefused) when the tenant has no questions, or a run is already queued or running.
    """
    _fail_stale(tenant)
    total = EvalQuestion.objects.filter(tenant=tenant).count()
    if not total:
        raise RunRefused("Add some questions first: there is nothing to evaluate.")
    busy = RunRefused("A run is already queued or running: wait for it to finish.")
    if in_progress(tenant).exists():
        raise busy
    try:
        with transaction.atomic():  # the constraint evalrun_one_in_progress settles a race
            run = EvalRun.objects.create(
                tenant=tenant, trigger=trigger, requested_by=by if getattr(by, "pk", None) else None,
                questions_total=total, k=K,
            )  # fmt: skip
    except IntegrityError:
        raise busy from None
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from evaluation.tasks import run_evaluation

    run_evaluation.enqueue(run_id)


def _fail_stale(tenant: Tenant) -> None:
    stale = in_progress(tenant).filter(
        status=EvalRun.Status.RUNNING, started__lt=timezone.now() - STALE_AFTER
    )
    stale.update(
        status=EvalRun.Status.FAILED, error="The worker running it stopped.", finished=timezone.now()
    )


def execute(run_id: int) -> EvalRun | None:
    """Claim a queued run and run it; None when there was nothing to claim (a duplicate task)."""
    now = timezone.now()
    if not EvalRun.objects.filter(pk=run_id, status=EvalRun.Status.QUEUED).update(
        status=EvalRun.Status.RUNNING, started=now
    ):
        return None
    run = EvalRun.objects.select_related("tenant").get(pk=run_id)
    try:
        _run(run)
    except Exception as exc:
        logger.exception("Evaluation run %s failed", run_id)
        EvalRun.objects.filter(pk=run_id).update(
            status=EvalRun.Status.FAILED, error=f"The run stopped: {exc}"[:2000], finished=timezone.now()
        )
    run.refresh_from_db()
    return run


def _run(run: EvalRun) -> None:
    questions = EvalQuestion.objects.filter(tenant=run.tenant).order_by("created", "pk")
    specs = specs_of(questions)
    model = index.current(run.tenant).store.model
    EvalRun.objects.filter(pk=run.pk).update(questions_total=len(specs), embedding_model=model)

    def progress(done: int) -> None:
        EvalRun.objects.filter(pk=run.pk).update(questions_done=done)

    outcome = evaluate(run.tenant, specs, run.k, progress)
    EvalRun.objects.filter(pk=run.pk).update(
        status=EvalRun.Status.DONE, finished=timezone.now(), questions_done=len(specs),
        hit_at_1=outcome.scores.hit_at_1, hit_at_k=outcome.scores.hit_at_k, mrr=outcome.scores.mrr,
        groups={label: s.as_dict() for label, s in outcome.groups.items()}, results=outcome.results,
    )  # fmt: skip


# --- Reading runs --------------------------------------------------------------------------------
def latest_done(tenant: Tenant) -> EvalRun | None:
    return (
        EvalRun.objects.filter(tenant=tenant, status=EvalRun.Status.DONE).order_by("-created", "-pk").first()
    )


def previous_of(run: EvalRun) -> EvalRun | None:
    """The finished run before `run`, to compare with."""
    earlier = EvalRun.objects.filter(
        tenant_id=run.tenant_id, status=EvalRun.Status.DONE, created__lte=run.created
    )
    return earlier.exclude(pk=run.pk).order_by("-created", "-pk").first()


@dataclass(frozen=True)
class Change:
    result: QuestionResult
    before: int | None
    after: int | None


def worse(previous: EvalRun | None, current: EvalRun) -> list[Change]:
    """The questions (asked in both runs) whose answer ranked lower, or dropped out of the top k."""
    if previous is None:
        return []
    before = {r["question"]: r["rank"] for r in previous.results if r["question"]}
    changes = []
    for result in current.results:
        key = result["question"]
        if key in before and _worse(before[key], result["rank"]):
            changes.append(Change(result, before[key], result["rank"]))
    return changes


def _worse(before: int | None, after: int | None) -> bool:
    if before is None:
        return False
    return after is None or after > before
