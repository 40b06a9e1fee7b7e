"""The chat's database side, in plain synchronous functions the consumer runs in a thread.

A turn is one question and the answer being generated for it:
  start_ask / start_regenerate -> Turn   (checks, rate limit, the question and a 'streaming' answer saved)
  prepare(turn) -> Prompt                (retrieval and the prompt)
  checkpoint(answer_id, content)         (while it streams: what it has so far, every few seconds)
  finish(turn, outcome)                  (the answer saved with its status, usage metered)
"""

import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from chat.generation import OFFLINE_MODEL, Usage, is_offline
from chat.models import ChatSession, Message
from chat.prompt import Prompt, build_prompt
from chat.prompt import Turn as PromptTurn
from chat.retrieval import search
from docuchat.lib.tokens import count_tokens
from documents.embeddings import Embeddings
from documents.models import Document
from tenants.models import Membership, Tenant
from usage import quotas
from usage.metering import Kind, cost_of
from usage.metering import record as meter

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


class Refused(Exception):
    """The message is not accepted; str() says why, for the page. Nothing was saved or sent."""


@dataclass
class Turn:
    tenant: Tenant
    user: Any
    session: ChatSession
    question: Message
    answer: Message
    received: float  # time.monotonic() when the message arrived
    new_session: bool = False
    replaced: str = ""  # public id of the answer a regeneration replaced
    documents: list[int] = field(default_factory=list)
    query_usage: Embeddings | None = None  # the question's embedding, metered with the answer
    reservation: quotas.Reservation = field(default_factory=quotas.Reservation)  # released by finish()


@dataclass
class Outcome:
    content: str = ""
    status: str = Message.Status.COMPLETE
    error: str = ""
    usage: Usage = field(default_factory=Usage)
    first_token_ms: int | None = None
    total_ms: int | None = None


def allowed_by_rate_limit(user_id: int) -> bool:
    """RATE_LIMIT_PER_MINUTE messages per person per clock minute, counted in the shared cache."""
    key = f"chat-rate:{user_id}:{int(time.time() // 60)}"
    try:
        count = cache.incr(key)
    except ValueError:  # the minute's first message (or two arriving together: add() decides)
        count = 1 if cache.add(key, 1, timeout=120) else cache.incr(key)
    return count <= settings.RATE_LIMIT_PER_MINUTE


def check_rate(user_id: int) -> None:
    if not allowed_by_rate_limit(user_id):
        raise Refused(
            f"You have sent {settings.RATE_LIMIT_PER_MINUTE} messages in the last minute, the most "
            "allowed. Wait a minute, then send it again."
        )


def tenant_documents(tenant: Tenant) -> Any:
    """The documents a session may be restricted to: this tenant's, ready ones."""
    return Document.objects.filter(tenant=tenant, status=Document.Status.READY).order_by("title")


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def chosen_documents(tenant: Tenant, ids: Iterable[str]) -> list[Document]:
    wanted = [i for i in ids if i]
    if not wanted:
        return []
    found = list(tenant_documents(tenant).filter(public_id__in=[u for u in map(parse_uuid, wanted) if u]))
    if not found:
        raise Refused("The documents you chose are no longer available. Choose others, or none.")
    return found


def effective_model(session: ChatSession, tenant: Tenant) -> str:
    if is_offline():
        return OFFLINE_MODEL
    for model in (session.model, tenant.default_model):
        if model and model in settings.ALLOWED_MODELS:
            return model
    return settings.OPENAI_MODEL


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def fail_abandoned() -> int:
    """Answers whose process died mid-stream are saved as failed (with the text saved so far), so
    their page offers Retry instead of showing them as still being written forever. Run by the
    workers' recovery sweep (documents/recovery.py); returns how many."""
    cutoff = timezone.now() - ABANDONED_AFTER
    abandoned = Message.objects.filter(status=Message.Status.STREAMING, created__lt=cutoff)
    return abandoned.update(status=Message.Status.FAILED, error=INTERRUPTED)


def find_session(membership: Membership, public_id: str) -> ChatSession:
    key = parse_uuid(public_id)
    owned = ChatSession.objects.owned_by(membership.tenant, membership.user)
    session = owned.filter(public_id=key).first() if key else None
    if session is None:
        raise Refused("This conversation no longer exists. Start a new chat.")
    return session


def start_ask(membership: Membership, data: dict[str, Any], received: float) -> Turn:
    question = str(data.get("message") or "").strip()
    if not question:
        raise Refused("Type a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise Refused(
            f"Questions are limited to {MAX_QUESTION_CHARS:,} characters; this one has {len(question):,}."
        )
    model = str(data.get("model") or "")
    if model and model not in settings.ALLOWED_MODELS:
        raise Refused("That model is not available here. Choose one from the list.")
    documents = chosen_documents(membership.tenant, as_list(data.get("documents")))
    session_id = str(data.get("session") or "")
    session = find_session(membership, session_id) if session_id else None
    check_rate(membership.user_id)
    estimated_model = effective_model(
        ChatSession(model=model or getattr(session, "model", "")), membership.tenant
    )
    reservation = reserve_budget(membership, question, estimated_model)
    with _released_on_error(reservation), transaction.atomic():
        new = session is None
        if session is None:
            session = ChatSession.objects.create(
                tenant=membership.tenant, user_id=membership.user_id, title=title_for(question), model=model
            )
            if documents:
                session.documents.set(documents)
        else:
            session.model, session.updated = model or session.model, timezone.now()
            session.save(update_fields=["model", "updated"])
            session.documents.set(documents)
        asked = Message(session=session, role=Message.Role.USER, content=question)
        answer = new_answer(session, membership.tenant, save=False)
        Message.objects.bulk_create([asked, answer])  # one round trip
    return Turn(
        membership.tenant, membership.user, session, asked, answer, received, new_session=new,
        documents=[d.pk for d in documents], reservation=reservation,
    )  # fmt: skip


def start_regenerate(membership: Membership, data: dict[str, Any], received: float) -> Turn:
    """Answer the session's last question again, replacing its answer (failed, stopped or not)."""
    session = find_session(membership, str(data.get("session") or ""))
    messages = list(session.messages.order_by("-created", "-id")[:2])
    last_question = next((m for m in messages if m.role == Message.Role.USER), None)
    if last_question is None:
        raise Refused("There is no question to answer again in this conversation.")
    check_rate(membership.user_id)
    reservation = reserve_budget(
        membership, last_question.content, effective_model(session, membership.tenant)
    )
    with _released_on_error(reservation), transaction.atomic():
        replaced = [m for m in messages if m.is_assistant and m.created >= last_question.created]
        for old in replaced:
            old.delete()
        session.updated = timezone.now()
        session.save(update_fields=["updated"])
        answer = new_answer(session, membership.tenant)
    return Turn(
        membership.tenant, membership.user, session, last_question, answer, received,
        replaced=str(replaced[0].public_id) if replaced else "",
        documents=list(session.documents.values_list("pk", flat=True)), reservation=reservation,
    )  # fmt: skip


def reserve_budget(membership: Membership, question: str, model: str) -> quotas.Reservation:
    """Reserve the most this turn can spend, or refuse before anything is saved or sent.

    The most: the question's embedding, a prompt filling MAX_CONTEXT_TOKENS, and an answer of
    CHAT_MAX_COMPLETION_TOKENS (the request's max_tokens, so the model cannot exceed it).
    """
    asked = count_tokens(question)
    prompt, answer = asked + settings.MAX_CONTEXT_TOKENS, settings.CHAT_MAX_COMPLETION_TOKENS
    cost = cost_of(model, prompt, answer) + cost_of(settings.EMBEDDING_MODEL, asked, 0)
    try:
        return quotas.reserve(membership.tenant, membership.user, asked + prompt + answer, cost)
    except quotas.QuotaExceeded as exc:
        raise Refused(str(exc)) from exc


@contextmanager
def _released_on_error(reservation: quotas.Reservation) -> Iterator[None]:
    try:
        yield
    except BaseException:
        quotas.release(reservation)
        raise


def new_answer(session: ChatSession, tenant: Tenant, *, save: bool = True) -> Message:
    answer = Message(
        session=session,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
        model=effective_model(session, tenant),
    )
    if save:
        answer.save()
    return answer


def title_for(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def prepare(turn: Turn) -> Prompt:
    """Retrieve the sources for the question and build the prompt (before any model call)."""
    hits = search(
        turn.tenant,
        turn.question.content,
        documents=turn.documents,
        on_usage=lambda e: setattr(turn, "query_usage", e),
    )
    return build_prompt(
        instructions=turn.tenant.assistant_instructions,
        history=history(turn),
        question=turn.question.content,
        hits=hits,
        budget=settings.MAX_CONTEXT_TOKENS,
    )


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
    """Save the answer as it ended and meter the model call, in one transaction."""
    answer = turn.answer
    answer.content = outcome.content
    answer.status = outcome.status
    answer.error = outcome.error[:500]
    answer.sources = prompt.sources if prompt and outcome.status == Message.Status.COMPLETE else []
    answer.first_token_ms, answer.total_ms = outcome.first_token_ms, outcome.total_ms
    usage = settled_usage(outcome, prompt)
    if usage:
        answer.model = usage.model
        answer.prompt_tokens, answer.completion_tokens = usage.prompt_tokens, usage.completion_tokens
    with quotas.released(turn.reservation), transaction.atomic():  # given back after the usage is recorded
        answer.save()
        if turn.query_usage is not None:
            embedded = turn.query_usage
            meter(
                turn.tenant, turn.user, Kind.QUERY_EMBEDDING, embedded.model, embedded.tokens, message=answer
            )
        if usage:
            meter(
                turn.tenant, turn.user, Kind.CHAT, usage.model, usage.prompt_tokens,
                usage.completion_tokens, message=answer,
            )  # fmt: skip
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
