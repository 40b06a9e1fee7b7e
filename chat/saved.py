"""Saved answers: a member saves a useful answer (from the chat, or an owner or admin from the
Conversations inbox) to the workspace's Saved list, which every member reads and tidies."""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat.models import Message, SavedAnswer
from tenants.access import get_savable_answer, get_saved_answer, saved_answers
from tenants.http import TenantRequest

PER_PAGE = 20
NOT_SAVABLE = "Only a complete answer can be saved."


def question_of(answer: Message) -> str:
    """The question an answer answers: the last one asked before it in its conversation."""
    asked = (
        Message.objects.filter(
            session_id=answer.session_id, role=Message.Role.USER, created__lte=answer.created
        )
        .order_by("-created", "-id")
        .values_list("content", flat=True)
        .first()
    )
    return asked or ""


def save(request: TenantRequest, answer: Message) -> tuple[SavedAnswer, bool]:
    """Save `answer` once per workspace; (the saved answer, whether it is new)."""
    found = SavedAnswer.objects.filter(tenant=request.tenant, message=answer).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            saved = SavedAnswer.objects.create(
                tenant=request.tenant, message=answer, saved_by=request.user, question=question_of(answer),
                answer=answer.content, sources=answer.sources,
            )  # fmt: skip
    except IntegrityError:  # saved at the same moment from another tab
        return SavedAnswer.objects.get(tenant=request.tenant, message=answer), False
    return saved, True


@require_POST
def save_answer(request: TenantRequest, message_id: UUID) -> HttpResponse:
    answer = get_savable_answer(request, message_id)
    if answer.status != Message.Status.COMPLETE or not answer.content.strip():
        return HttpResponse(NOT_SAVABLE, status=400)
    _, new = save(request, answer)
    if request.htmx:
        return render(request, "chat/save_answer.html", {"m": answer, "saved": True})
    messages.success(request, "Answer saved." if new else "This answer was already saved.")
    return redirect("chat:saved", tenant_slug=request.tenant.slug)


@require_GET
def saved(request: TenantRequest) -> HttpResponse:
    page = Paginator(saved_answers(request).order_by("-created", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "chat/saved.html", {"page": page})


@require_POST
def delete_saved(request: TenantRequest, saved_id: UUID) -> HttpResponse:
    get_saved_answer(request, saved_id, write=True).delete()
    messages.success(request, "Saved answer deleted.")
    return redirect("chat:saved", tenant_slug=request.tenant.slug)
