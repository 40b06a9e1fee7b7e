from uuid import UUID

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from chat.callers import AssistantConfig
from chat.directory import directory
from chat.forms import RenameForm
from chat.generation import is_offline
from chat.models import ChatSession, Message
from chat.service import MAX_QUESTION_CHARS, effective_model, tenant_documents
from tenants.access import get_chat_message, get_chat_session
from tenants.http import TenantRequest


def page(
    request: TenantRequest, session: ChatSession | None, *, status: int = 200, **extra: str
) -> HttpResponse:
    if request.htmx.boosted:
        # Boosted navigation swaps only the body: load the page whole, with its socket and scripts.
        return HttpResponseClientRedirect(request.get_full_path())
    sessions = ChatSession.objects.owned_by(request.tenant, request.user).order_by("-updated", "-id")
    assistants = directory().listed(request.tenant)
    assistant = current_assistant(request, session, assistants)
    context = {
        "session": session,
        "sessions": sessions,
        "chat_messages": session.messages.all() if session else [],
        "assistants": assistants,
        "assistant": assistant,
        "documents": tenant_documents(request.tenant, assistant),
        "chosen": set(session.documents.values_list("pk", flat=True)) if session else set(),
        "models": [] if is_offline() else settings.ALLOWED_MODELS,
        "current_model": effective_model(session.model if session else "", assistant),
        "offline": is_offline(),
        "max_chars": MAX_QUESTION_CHARS,
        **extra,
    }
    return render(request, "chat/index.html", context, status=status)


def current_assistant(
    request: TenantRequest, session: ChatSession | None, assistants: list[AssistantConfig]
) -> AssistantConfig:
    """The session's assistant; for a new chat the one in ?assistant=, else the default (first)."""
    if session is not None:
        wanted = [a for a in assistants if a.id is not None and a.id == session.assistant_id]
    else:
        wanted = [a for a in assistants if a.public_id and a.public_id == request.GET.get("assistant")]
    return wanted[0] if wanted else assistants[0]


@require_GET
def index(request: TenantRequest) -> HttpResponse:
    """A new chat: the session is created when its first question is sent."""
    return page(request, None)


@require_GET
def session(request: TenantRequest, session_id: UUID) -> HttpResponse:
    return page(request, get_chat_session(request, session_id))


@require_POST
def rename(request: TenantRequest, session_id: UUID) -> HttpResponse:
    chat = get_chat_session(request, session_id, write=True)
    form = RenameForm(request.POST)
    if not form.is_valid():  # the page again, its rename form open and saying why
        return page(request, chat, status=400, rename_error=" ".join(form.errors["title"]))
    chat.title = form.cleaned_data["title"]
    chat.save(update_fields=["title"])
    return redirect("chat:session", tenant_slug=request.tenant.slug, session_id=chat.public_id)


@require_POST
def delete(request: TenantRequest, session_id: UUID) -> HttpResponse:
    get_chat_session(request, session_id, write=True).delete()
    return redirect("chat:index", tenant_slug=request.tenant.slug)


@require_POST
def feedback(request: TenantRequest, message_id: UUID) -> HttpResponse:
    """Thumbs up or down on an answer; the same choice again takes it back."""
    message = get_chat_message(request, message_id, write=True)
    value = request.POST.get("value", "")
    if value not in (Message.Feedback.UP, Message.Feedback.DOWN) or not message.is_assistant:
        return HttpResponse("Feedback is 'up' or 'down', on an answer.", status=400)
    message.feedback = Message.Feedback.NONE if message.feedback == value else value
    message.save(update_fields=["feedback"])
    if not request.htmx:
        return redirect("chat:session", tenant_slug=request.tenant.slug, session_id=message.session.public_id)
    return render(request, "chat/index.html#feedback", {"m": message})
