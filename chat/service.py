"""The turn's database side: plain synchronous functions the pipeline (chat/turns.py) runs in a
database thread. A turn is one question and the answer being generated for it:

  open_turn(caller, request) -> Turn   (access, checks, limits, budget; the question and a
                                        'streaming' answer saved)
  prepare(turn) -> Prompt              (retrieval and the prompt)
  checkpoint(answer_id, content)       (while it streams: what it has so far, every few seconds)
  finish(turn, outcome, prompt)        (the answer saved with its status, usage metered)

Nothing here knows which door a question came through: all of it asks the caller (chat/callers.py).
"""

import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from chat.callers import AssistantConfig, Caller, Code, Refused
from chat.generation import NO_SOURCES_ANSWER, OFFLINE_MODEL, Usage, is_offline
from chat.models import ChatSession, Message
from chat.prompt import Prompt, build_prompt
from chat.prompt import Turn as PromptTurn
from chat.retrieval import search
from docuchat.lib.tokens import count_tokens
from documents.embeddings import Embeddings
from documents.models import Document
from tenants.models import Tenant
from usage import metering, quotas
from usage.metering import Kind, cost_of

__all__ = ["Ask", "Outcome", "Refused", "Regenerate", "Turn"]

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 4000
TITLE_CHARS = 60
# An answer still 'streaming' this long after it began lost the process writing it (a crash, or a
# deploy restarting the server): no answer streams for anywhere near as long.
ABANDONED_AFTER = timedelta(minutes=10)
# While an answer streams, what it has so far is saved this often: a crash or a deploy mid-answer
# loses at most these last seconds of it, and a page opened meanwhile shows it.
CHECKPOINT_SECONDS = 3.0
INTERRUPTED = "This answer was interrupted: the server stopped while writing it. Retry to answer again."


@dataclass(frozen=True)
class Ask:
    """A question. Every field is text as the door received it; the pipeline checks them all."""

    question: str
    session: str = ""  # the public id of a conversation of the caller's to continue; "" starts one
    documents: Sequence[str] = ()  # public ids: only search these (within the assistant's documents)
    model: str = ""  # one of ALLOWED_MODELS; "" for the session's or the assistant's
    assistant: str = ""  # public id, for a new conversation; "" for the caller's default


@dataclass(frozen=True)
class Regenerate:
    """Answer a conversation's last question again, replacing its answer (failed, stopped or not)."""

    session: str


Request = Ask | Regenerate


@dataclass
class Turn:
    caller: Caller
    assistant: AssistantConfig
    session: ChatSession
    question: Message
    answer: Message
    received: float  # time.monotonic() when the message arrived
    new_session: bool = False
    new_question: bool = True  # False when regenerating
    replaced: str = ""  # public id of the answer a regeneration replaced
    documents: list[int] | None = None  # the ids retrieval searches; None: all of the tenant's
    query_usage: Embeddings | None = None  # the question's embedding, metered with the answer
    reservation: quotas.Reservation = field(default_factory=quotas.Reservation)  # released by finish()

    @property
    def tenant(self) -> Tenant:
        return self.caller.tenant


@dataclass
class Outcome:
    content: str = ""
    status: str = Message.Status.COMPLETE
    error: str = ""
    code: Code | None = None  # why it failed
    usage: Usage = field(default_factory=Usage)
    first_token_ms: int | None = None
    total_ms: int | None = None


def tenant_documents(tenant: Tenant, assistant: AssistantConfig | None = None) -> Any:
    """The documents a conversation may be restricted to: the tenant's ready ones (the assistant's)."""
    documents = Document.objects.filter(tenant=tenant, status=Document.Status.READY).order_by("title")
    if assistant is not None and assistant.documents is not None:
        documents = documents.filter(pk__in=assistant.documents)
    return documents


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


def chosen_documents(tenant: Tenant, assistant: AssistantConfig, ids: Iterable[str]) -> list[Document]:
    wanted = [u for u in map(parse_uuid, (i for i in ids if i)) if u]
    if not wanted and not any(ids):
        return []
    found = list(tenant_documents(tenant, assistant).filter(public_id__in=wanted)) if wanted else []
    if not found:
        raise Refused("The documents you chose are no longer available. Choose others, or none.")
    return found


def search_scope(assistant: AssistantConfig, chosen: Sequence[int]) -> list[int] | None:
    """What retrieval searches: the chosen documents, else the assistant's, else (None) all."""
    if chosen:
        return list(chosen)
    return None if assistant.documents is None else sorted(assistant.documents)


def effective_model(session_model: str, assistant: AssistantConfig) -> str:
    if is_offline():
        return OFFLINE_MODEL
    for model in (session_model, assistant.model):
        if model and model in settings.ALLOWED_MODELS:
            return model
    return settings.OPENAI_MODEL


def checked_text(value: str, what: str = "This question") -> str:
    """`value`, unless PostgreSQL cannot store it (a NUL character, an unpaired surrogate)."""
    if "\x00" in value:
        raise Refused(
            f"{what} contains a NUL character, which cannot be stored. Remove it and send it again."
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(
            f"{what} contains an invalid character (an unpaired UTF-16 surrogate). Remove it and try again."
        ) from None
    return value


def checked_question(text: str) -> str:
    question = checked_text(text).strip()
    if not question:
        raise Refused("Type a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise Refused(
            f"Questions are limited to {MAX_QUESTION_CHARS:,} characters; this one has {len(question):,}."
        )
    return question


def fail_abandoned() -> int:
    """Answers whose process died mid-stream are saved as failed (with the text saved so far), so
    their page offers Retry instead of showing them as still being written forever. Run by the
    workers' recovery sweep (documents/recovery.py); returns how many."""
    cutoff = timezone.now() - ABANDONED_AFTER
    abandoned = Message.objects.filter(status=Message.Status.STREAMING, created__lt=cutoff)
    return abandoned.update(status=Message.Status.FAILED, error=INTERRUPTED)


def find_session(caller: Caller, public_id: str) -> ChatSession:
    key = parse_uuid(public_id)
    session = caller.sessions().filter(public_id=key).first() if key else None
    if session is None:
        raise Refused("This conversation no longer exists. Start a new chat.", Code.NOT_FOUND)
    return session


def open_turn(caller: Caller, request: Request, received: float) -> Turn:
    """Accept the question (or refuse it, raising Refused, with nothing saved or spent)."""
    caller.still_allowed()
    if isinstance(request, Regenerate):
        return start_regenerate(caller, request, received)
    return start_ask(caller, request, received)


def start_ask(caller: Caller, request: Ask, received: float) -> Turn:
    question = checked_question(request.question)
    model = request.model
    if model and model not in settings.ALLOWED_MODELS:
        raise Refused("That model is not available here. Choose one from the list.")
    session = find_session(caller, request.session) if request.session else None
    assistant = caller.assistant_for(session, request.assistant)
    documents = chosen_documents(caller.tenant, assistant, request.documents)
    caller.check_rate(session)
    estimated_model = effective_model(model or getattr(session, "model", ""), assistant)
    reservation = reserve_budget(caller, question, estimated_model)
    with _released_on_error(reservation), transaction.atomic():
        new = session is None
        if session is None:
            session = caller.new_session(title=title_for(question), model=model, assistant_id=assistant.id)
            session.save()
            if documents:
                session.documents.set(documents)
        else:
            session.model, session.updated = model or session.model, timezone.now()
            session.save(update_fields=["model", "updated"])
            session.documents.set(documents)
        asked = Message(session=session, role=Message.Role.USER, content=question)
        answer = new_answer(session, assistant, save=False)
        Message.objects.bulk_create([asked, answer])  # one round trip
    return Turn(
        caller, assistant, session, asked, answer, received, new_session=new,
        documents=search_scope(assistant, [d.pk for d in documents]), reservation=reservation,
    )  # fmt: skip


def start_regenerate(caller: Caller, request: Regenerate, received: float) -> Turn:
    session = find_session(caller, request.session)
    assistant = caller.assistant_for(session, "")
    messages = list(session.messages.order_by("-created", "-id")[:2])
    last_question = next((m for m in messages if m.role == Message.Role.USER), None)
    if last_question is None:
        raise Refused("There is no question to answer again in this conversation.")
    caller.check_rate(session)
    reservation = reserve_budget(caller, last_question.content, effective_model(session.model, assistant))
    with _released_on_error(reservation), transaction.atomic():
        replaced = [m for m in messages if m.is_assistant and m.created >= last_question.created]
        for old in replaced:
            old.delete()
        session.updated = timezone.now()
        session.save(update_fields=["updated"])
        answer = new_answer(session, assistant)
    chosen = list(session.documents.values_list("pk", flat=True))
    return Turn(
        caller, assistant, session, last_question, answer, received, new_question=False,
        replaced=str(replaced[0].public_id) if replaced else "",
        documents=search_scope(assistant, chosen), reservation=reservation,
    )  # fmt: skip


def reserve_budget(caller: Caller, question: str, model: str) -> quotas.Reservation:
    """Reserve the most this turn can spend, or refuse before anything is saved or sent.

    The most: the question's embedding, a prompt filling MAX_CONTEXT_TOKENS, and an answer of
    CHAT_MAX_COMPLETION_TOKENS (the request's max_tokens, so the model cannot exceed it).
    """
    asked = count_tokens(question)
    prompt, answer = asked + settings.MAX_CONTEXT_TOKENS, settings.CHAT_MAX_COMPLETION_TOKENS
    cost = cost_of(model, prompt, answer) + cost_of(settings.EMBEDDING_MODEL, asked, 0)
    try:
        return quotas.reserve(
            caller.tenant, caller.budget_user(), asked + prompt + answer, cost, caller.budgets()
        )
    except quotas.QuotaExceeded as exc:
        raise Refused(str(exc), Code.BUDGET) from exc


@contextmanager
def _released_on_error(reservation: quotas.Reservation) -> Iterator[None]:
    try:
        yield
    except BaseException:
        quotas.release(reservation)
        raise


def new_answer(session: ChatSession, assistant: AssistantConfig, *, save: bool = True) -> Message:
    answer = Message(
        session=session,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
        model=effective_model(session.model, assistant),
    )
    if save:
        answer.save()
    return answer


def title_for(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def prepare(turn: Turn) -> Prompt:
    """Retrieve the sources for the question and build the prompt (before any model call).

    An assistant restricted to documents of which none is left finds nothing (never everything).
    """
    hits = []
    if turn.documents is None or turn.documents:
        hits = search(
            turn.tenant,
            turn.question.content,
            documents=turn.documents,
            on_usage=lambda e: setattr(turn, "query_usage", e),
        )
    return build_prompt(
        instructions=turn.assistant.instructions,
        history=history(turn),
        question=turn.question.content,
        hits=hits,
        budget=settings.MAX_CONTEXT_TOKENS,
    )


def not_covered_text(assistant: AssistantConfig) -> str:
    """What the answer says when no document covers the question (no model is asked)."""
    text = assistant.not_covered.strip() or NO_SOURCES_ANSWER
    if assistant.contact_url:
        text += f"\n\n[Contact us](<{assistant.contact_url}>)"
    return text


def history(turn: Turn) -> list[PromptTurn]:
    """The conversation before this question: what was asked and answered (not failures)."""
    if turn.new_session:
        return []
    earlier = (
        turn.session.messages.filter(created__lt=turn.question.created)
        .exclude(status=Message.Status.FAILED)
        .exclude(content="")
        .order_by("-created", "-id")[:10]
    )
    return [PromptTurn(role=m.role, content=m.content) for m in reversed(earlier)]


def checkpoint(answer_id: int, content: str) -> None:
    """Save what an answer has streamed so far; only while it streams, so never over its final save.

    Best effort: a failure is logged and the answer goes on (its final save does not depend on it).
    """
    try:
        Message.objects.filter(pk=answer_id, status=Message.Status.STREAMING).update(content=content)
    except DatabaseError:
        log.warning("Saving answer %s so far failed", answer_id, exc_info=True)


def finish(turn: Turn, outcome: Outcome, prompt: Prompt | None) -> Message:
    """Save the answer as it ended and meter the model calls to the caller, in one transaction."""
    answer = turn.answer
    answer.content = outcome.content
    answer.status = outcome.status
    answer.error = outcome.error[:500]
    answer.sources = prompt.sources if prompt and outcome.status == Message.Status.COMPLETE else []
    # No sources, so the answer is the assistant's "not covered" text (the inbox filters on it).
    answer.not_covered = prompt is not None and not prompt.has_sources
    answer.first_token_ms, answer.total_ms = outcome.first_token_ms, outcome.total_ms
    usage = settled_usage(outcome, prompt)
    if usage:
        answer.model = usage.model
        answer.prompt_tokens, answer.completion_tokens = usage.prompt_tokens, usage.completion_tokens
    metered = dict(turn.caller.metered_to())
    user = metered.pop("user", None)
    calls: list[metering.Call] = []
    if turn.query_usage is not None:
        calls.append((Kind.QUERY_EMBEDDING, turn.query_usage.model, turn.query_usage.tokens, 0))
    if usage:
        calls.append((Kind.CHAT, usage.model, usage.prompt_tokens, usage.completion_tokens))
    with quotas.released(turn.reservation), transaction.atomic():  # given back after the usage is recorded
        answer.save()
        metering.record_calls(turn.tenant, user, calls, message=answer, **metered)
        turn.caller.answered()
    return answer


def settled_usage(outcome: Outcome, prompt: Prompt | None) -> Usage | None:
    """What the model call cost: the API's own figures, or tiktoken's count when it gave none.

    None when no model was called (no sources) or it failed before producing anything.
    """
    usage = outcome.usage
    if not usage.model or prompt is None:
        return None
    if usage.exact or usage.model == OFFLINE_MODEL:
        return usage
    if not outcome.content:
        return None
    # Stopped, disconnected or broken mid-stream: the usage chunk never came, so count ourselves.
    return Usage(usage.model, prompt.tokens, count_tokens(outcome.content), exact=False)
