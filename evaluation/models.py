"""Test questions with known answers, and the runs that score retrieval on them."""

import uuid
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.utils import timezone

from documents.models import Document
from tenants.models import Tenant

MAX_QUESTION_CHARS = 1000


class EvalQuestion(models.Model):
    """A question whose answer is on `pages` (1-based, as the PDF viewer counts) of `document`.

    Deleting the document deletes its questions: they could not be answered any more.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="eval_questions")
    question = models.TextField(max_length=MAX_QUESTION_CHARS)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="eval_questions")
    pages = models.JSONField(default=list)  # list[int], sorted, each >= 1
    label = models.CharField(max_length=40, blank=True)  # a free grouping, e.g. "faq" or "paraphrase"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The Evaluation page and every run: a tenant's questions in the order they were added.
            models.Index(fields=["tenant", "created"], name="evalquestion_tenant_created"),
        ]

    def __str__(self) -> str:
        return self.question[:80]

    def pages_label(self) -> str:
        return ", ".join(str(p) for p in self.pages)


class FoundSource(TypedDict):
    document: str  # public id
    title: str
    page_start: int
    page_end: int
    page: int  # the page a citation of it opens


class QuestionResult(TypedDict):
    question: str  # the EvalQuestion's public id ("" for questions from a file)
    text: str
    document: str  # expected document's public id
    title: str
    pages: list[int]
    label: str
    rank: int | None  # 1-based rank of the first source that answers; None: not in the top k
    found: list[FoundSource]


class EvalRun(models.Model):
    """One scoring of a tenant's questions. Written by the run_evaluation task, read by the page."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        REINDEX = "reindex", "After re-indexing"
        MODEL_SWITCH = "model_switch", "After an embedding-model switch"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="eval_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    embedding_model = models.CharField(max_length=100, blank=True)  # the model that answered
    k = models.PositiveSmallIntegerField(default=6)
    questions_total = models.PositiveIntegerField(default=0)
    questions_done = models.PositiveIntegerField(default=0)
    hit_at_1 = models.FloatField(null=True, blank=True)
    hit_at_k = models.FloatField(null=True, blank=True)
    mrr = models.FloatField(null=True, blank=True)
    groups = models.JSONField(default=dict, blank=True)  # label -> Scores.as_dict(), when labelled
    results = models.JSONField(default=list, blank=True)  # list[QuestionResult], in question order
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The Evaluation page's list of runs, the latest result, and "the previous run".
            models.Index(fields=["tenant", "-created"], name="evalrun_tenant_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(status__in=["queued", "running"]),
                name="evalrun_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} run {self.public_id}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    def progress_percent(self) -> int:
        return round(100 * self.questions_done / self.questions_total) if self.questions_total else 0
