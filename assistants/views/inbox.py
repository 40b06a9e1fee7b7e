"""The Conversations page: for owners and admins, the website's conversations (those no member
had), filterable, each with its transcript and sources, and a CSV export; for a member, their own
staff chats (which stay private to them, as on the chat page)."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from chat.models import ChatSession, Message
from docuchat.lib import csvsafe
from tenants.access import assistants, get_conversation
from tenants.access import conversations as listed_conversations
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS_ONLY, can_view_conversations, require
from tenants.views.helpers import is_fragment
from usage.forms import DATE

PER_PAGE = 25


class InboxFilter(forms.Form):
    assistant = forms.ChoiceField(label="Assistant", required=False)
    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="From", widget=DATE)
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="To", widget=DATE)
    not_covered = forms.BooleanField(label="Not answered from the documents", required=False)
    thumbs_down = forms.BooleanField(label="Thumbs down", required=False)

    def __init__(self, *args: object, request: TenantRequest, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [(str(a.public_id), a.name) for a in assistants(request)]
        self.fields["assistant"].choices = [("", "All assistants"), *choices]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return data


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(sessions: QuerySet[ChatSession], form: InboxFilter) -> QuerySet[ChatSession]:
    """The conversations that pass the filter (all of them while the filter is invalid)."""
    if not form.is_valid():
        return sessions
    data = form.cleaned_data
    if data["assistant"]:
        sessions = sessions.filter(assistant__public_id=data["assistant"])
    if data["start"]:
        sessions = sessions.filter(created__gte=_day_start(data["start"]))
    if data["end"]:
        sessions = sessions.filter(created__lt=_day_start(data["end"] + timedelta(days=1)))
    answers = Message.objects.filter(session=OuterRef("pk"), role=Message.Role.ASSISTANT)
    if data["not_covered"]:
        sessions = sessions.filter(Exists(answers.filter(not_covered=True)))
    if data["thumbs_down"]:
        sessions = sessions.filter(Exists(answers.filter(feedback=Message.Feedback.DOWN)))
    return sessions


def with_counts(sessions: QuerySet[ChatSession]) -> QuerySet[ChatSession]:
    user, answer = Message.Role.USER, Message.Role.ASSISTANT
    return sessions.select_related("assistant", "api_key").annotate(
        questions=Count("messages", filter=Q(messages__role=user)),
        uncovered=Count("messages", filter=Q(messages__role=answer, messages__not_covered=True)),
        thumbs_down=Count("messages", filter=Q(messages__feedback=Message.Feedback.DOWN)),
        thumbs_up=Count("messages", filter=Q(messages__feedback=Message.Feedback.UP)),
    )


@require_GET
@vary_on_headers("HX-Request")
def conversations(request: TenantRequest) -> HttpResponse:
    form = InboxFilter(request.GET or None, request=request)
    sessions = with_counts(filtered(listed_conversations(request), form)).order_by("-updated", "-id")
    page = Paginator(sessions, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "inbox": can_view_conversations(request.membership)}
    template = (
        "assistants/conversations.html#rows" if is_fragment(request) else "assistants/conversations.html"
    )
    return render(request, template, context, status=400 if form.is_bound and not form.is_valid() else 200)


@require_GET
def transcript(request: TenantRequest, conversation_id: UUID) -> HttpResponse:
    conversation = get_conversation(request, conversation_id)
    context = {"conversation": conversation, "chat_messages": conversation.messages.all()}
    return render(request, "assistants/transcript.html", context)


CSV_HEADER = [
    "conversation", "started", "assistant", "time", "role", "text", "not_covered", "feedback", "sources",
]  # fmt: skip


@require_GET
@require(can_view_conversations, MANAGERS_ONLY)
def export_csv(request: TenantRequest) -> HttpResponse:
    """Every message of the filtered conversations, one row each, oldest conversation first."""
    form = InboxFilter(request.GET or None, request=request)
    if form.is_bound and not form.is_valid():
        return conversations(request)
    sessions = filtered(listed_conversations(request), form)
    rows = (
        Message.objects.filter(session__in=sessions.values("pk"))
        .order_by("session__created", "session_id", "created", "id")
        .values_list(
            "session__public_id", "session__created", "session__assistant__name", "created", "role",
            "content", "not_covered", "feedback", "sources",
        )
    )  # fmt: skip
    response = StreamingHttpResponse(_csv_lines(rows.iterator(chunk_size=2000)), content_type="text/csv")
    name = f"docuchat-conversations-{request.tenant.slug}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _sources_text(sources: list[dict[str, object]]) -> str:
    return "; ".join(f"[{s.get('n')}] {s.get('title')} p. {s.get('page_start')}" for s in sources or [])


def _csv_lines(rows: Iterator[tuple[object, ...]]) -> Iterator[str]:
    def cells(row: tuple[object, ...]) -> list[object]:
        session, started, assistant, created, role, content, not_covered, feedback, sources = row
        return [
            session, started.isoformat(), assistant or "(default)", created.isoformat(), role,  # type: ignore[attr-defined]
            content, "yes" if not_covered else "", feedback, _sources_text(sources),  # type: ignore[arg-type]
        ]  # fmt: skip

    return csvsafe.lines(CSV_HEADER, (cells(row) for row in rows))
