"""The Evaluation page (owners and admins): test questions, runs, and what each question found."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from evaluation import directory, importing, runner
from evaluation.forms import ImportForm, QuestionForm
from evaluation.models import EvalQuestion, EvalRun
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS_ONLY, can_run_evaluation, require

MAX_QUESTIONS = 2000  # per workspace: a run asks every one
RUNS_LISTED = 10


def _page(request: TenantRequest, status: int = 200, **context: Any) -> HttpResponse:
    runs = list(directory.runs(request)[:RUNS_LISTED])
    context = {
        "questions": directory.questions(request),
        "runs": runs,
        "latest": runs[0] if runs else None,
        "form": context.pop("form", None) or QuestionForm(documents=directory.documents(request)),
        "import_form": context.pop("import_form", None) or ImportForm(),
        "k": runner.K,
        **context,
    }
    return render(request, "evaluation/index.html", context, status=status)


@require_GET
@require(can_run_evaluation, MANAGERS_ONLY)
def index(request: TenantRequest) -> HttpResponse:
    return _page(request)


def _room_for(request: TenantRequest, more: int) -> str:
    have = directory.questions(request).count()
    if have + more > MAX_QUESTIONS:
        return f"A workspace holds at most {MAX_QUESTIONS} questions; this one has {have}."
    return ""


@require_POST
@require(can_run_evaluation, MANAGERS_ONLY)
def add_question(request: TenantRequest) -> HttpResponse:
    form = QuestionForm(request.POST, documents=directory.documents(request))
    if form.is_valid() and (full := _room_for(request, 1)):
        form.add_error(None, full)
    if not form.is_valid():
        return _page(request, status=400, form=form)
    data = form.cleaned_data
    EvalQuestion.objects.create(
        tenant=request.tenant, question=data["question"], document=data["document"],
        pages=data["pages"], label=data["label"].strip(), created_by=request.user,
    )  # fmt: skip
    messages.success(request, "Question added.")
    return redirect("evaluation:index", tenant_slug=request.tenant.slug)


@require_POST
@require(can_run_evaluation, MANAGERS_ONLY)
def import_questions(request: TenantRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, status=400, import_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > importing.MAX_FILE_BYTES:
        form.add_error("file", f"The file is larger than {importing.MAX_FILE_BYTES // 1_000_000} MB.")
        return _page(request, status=400, import_form=form)
    found = importing.Documents(directory.documents(request))
    outcome = importing.parse(upload.read(), found, upload.name or "")
    if not outcome.errors and (full := _room_for(request, len(outcome.rows))):
        outcome.errors.append(full)
    if outcome.errors:
        return _page(request, status=400, import_form=form, import_errors=outcome.errors)
    with transaction.atomic():
        EvalQuestion.objects.bulk_create(_question(request, r) for r in outcome.rows)
    messages.success(
        request, f"Imported {len(outcome.rows)} question{'s' if len(outcome.rows) != 1 else ''}."
    )
    return redirect("evaluation:index", tenant_slug=request.tenant.slug)


def _question(request: TenantRequest, row: importing.Parsed) -> EvalQuestion:
    return EvalQuestion(
        tenant=request.tenant, question=row.question, document=row.document, pages=row.pages,
        label=row.label, created_by=request.user,
    )  # fmt: skip


@require_POST
@require(can_run_evaluation, MANAGERS_ONLY)
def delete_question(request: TenantRequest, question_id: UUID) -> HttpResponse:
    directory.get_question(request, question_id).delete()
    messages.success(request, "Question deleted.")
    return redirect("evaluation:index", tenant_slug=request.tenant.slug)


@require_POST
@require(can_run_evaluation, MANAGERS_ONLY)
def start_run(request: TenantRequest) -> HttpResponse:
    try:
        run = runner.start(request.tenant, EvalRun.Trigger.MANUAL, request.user)
    except runner.RunRefused as exc:
        messages.warning(request, str(exc))
        return redirect("evaluation:index", tenant_slug=request.tenant.slug)
    return redirect("evaluation:run", tenant_slug=request.tenant.slug, run_id=run.public_id)


@require_GET
@require(can_run_evaluation, MANAGERS_ONLY)
@vary_on_headers("HX-Request")
def run_detail(request: TenantRequest, run_id: UUID) -> HttpResponse:
    run = directory.get_run(request, run_id)
    previous = runner.previous_of(run) if run.status == EvalRun.Status.DONE else None
    context = {
        "run": run,
        "previous": previous,
        "worse": runner.worse(previous, run),
        "groups": sorted(run.groups.items()),
    }
    polling = request.htmx and not request.htmx.boosted
    return render(request, "evaluation/run.html#result" if polling else "evaluation/run.html", context)
