"""POST /api/v1/chat (JSON, or Server-Sent Events) and GET /api/v1/conversations/{id}.

A door into the one turn pipeline (chat/turns.py): it translates the request into an `Ask` for
the key's caller (api/callers.py) and the turn's events into JSON or SSE. See docs/turns.md.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from ninja import Router

from api import access
from api.auth import KeyAuth, TurnKeyAuth, key_of
from api.callers import ApiKeyCaller
from api.errors import error_response
from api.models import Scope
from api.schemas import ChatIn, ChatOut, ConversationOut, Error, MessageOut, SourceOut
from chat.models import Message, Source, cited_page
from chat.turns import Ask, Code, Delta, Done, Event, Failed, Sources, Started, Turn

router = Router(tags=["chat"])
CHAT, ASK = KeyAuth(Scope.CHAT), TurnKeyAuth(Scope.CHAT)
ERRORS = {401: Error, 403: Error, 404: Error, 429: Error}
STATUS = {
    Code.INVALID: 400, Code.FORBIDDEN: 403, Code.NOT_FOUND: 404, Code.RATE_LIMITED: 429,
    Code.BUDGET: 429, Code.UNAVAILABLE: 503, Code.MODEL: 502, Code.ERROR: 500,
}  # fmt: skip


def source_out(request: HttpRequest, tenant_slug: str, source: Source) -> dict[str, Any]:
    """A cited source; `url` opens the PDF at its page for the workspace's signed-in members."""
    path = reverse("documents:file", kwargs={"tenant_slug": tenant_slug, "public_id": source["document"]})
    page = cited_page(source)
    return {
        "n": source["n"],
        "document": source["document"],
        "title": source["title"],
        "page": page,
        "snippet": source["snippet"],
        "url": f"{request.build_absolute_uri(path)}#page={page}",
    }


def usage_of(answer: Message | None) -> dict[str, int]:
    if answer is None:
        return {"prompt_tokens": 0, "completion_tokens": 0}
    return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens}


def ask_of(body: ChatIn) -> Ask:
    return Ask(question=body.question, session=body.conversation or "", assistant=body.assistant or "")


def wants_stream(request: HttpRequest, body: ChatIn) -> bool:
    return body.stream or "text/event-stream" in request.headers.get("Accept", "")


@router.post(
    "/chat", auth=ASK,
    response={200: ChatOut, 400: Error, 500: Error, 502: Error, 503: Error, **ERRORS},
    summary="Ask a question",
)  # fmt: skip
async def chat(request: HttpRequest, body: ChatIn) -> Any:
    """A grounded, cited answer. With `"stream": true` (or `Accept: text/event-stream`), Server-Sent
    Events: `sources`, then `delta` pieces, then `done` (or `error`), each an `event:` line and a
    JSON `data:` line. A client that disconnects cancels the model request."""
    caller = ApiKeyCaller.from_secret(request.auth)  # type: ignore[attr-defined]  (the bearer token)
    turn = Turn(caller, ask_of(body))
    events = turn.events()
    first = await anext(events)
    if isinstance(first, Failed):  # refused: nothing was saved or sent to a model
        await events.aclose()
        return refusal(caller, first)
    request.api_key = key = caller.key  # type: ignore[attr-defined]  (seen by the CORS middleware)
    if wants_stream(request, body):
        response = StreamingHttpResponse(
            sse(request, key.tenant.slug, first, events), content_type="text/event-stream"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx passes each event on at once
        return response
    return await collect(request, key.tenant.slug, first, events)


def refusal(caller: ApiKeyCaller, failed: Failed) -> HttpResponse:
    """A refused question: 401 or 403 when the turn found the key wrong or without the scope."""
    if caller.refusal == "invalid_key":
        return error_response(401, "invalid_key", failed.message)
    if caller.refusal == "missing_scope":
        return error_response(403, "missing_scope", failed.message)
    return error_response(STATUS[failed.code], str(failed.code), failed.message)


async def collect(
    request: HttpRequest, slug: str, first: Event, events: AsyncIterator[Event]
) -> HttpResponse:
    conversation, sources, answer = "", [], None
    try:
        event: Event = first
        while True:
            if isinstance(event, Started):
                conversation = str(event.session.public_id)
            elif isinstance(event, Sources):
                sources = [source_out(request, slug, s) for s in event.sources]
            elif isinstance(event, Done):
                answer = event.answer
            elif isinstance(event, Failed):
                return error_response(
                    STATUS[event.code], str(event.code), event.message, conversation=conversation
                )
            event = await anext(events, None)
            if event is None:
                break
    finally:
        await events.aclose()
    assert answer is not None
    body = {
        "answer": answer.content,
        "conversation": conversation,
        "sources": sources,
        "usage": usage_of(answer),
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


def sse_event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def sse(
    request: HttpRequest, slug: str, first: Event, events: AsyncIterator[Event]
) -> AsyncIterator[str]:
    """The turn's events as SSE. Closing this iterator (Django does when the client goes away)
    closes the turn's, which stops the model request and saves the answer as stopped."""
    conversation = ""
    try:
        event: Event | None = first
        while event is not None:
            if isinstance(event, Started):
                conversation = str(event.session.public_id)
            elif isinstance(event, Sources):
                yield sse_event("sources", {"sources": [source_out(request, slug, s) for s in event.sources]})
            elif isinstance(event, Delta):
                yield sse_event("delta", {"text": event.text})
            elif isinstance(event, Done):
                done = {
                    "conversation": conversation,
                    "status": event.answer.status,
                    "usage": usage_of(event.answer),
                }
                yield sse_event("done", done)
            elif isinstance(event, Failed):
                yield sse_event(
                    "error", {"code": str(event.code), "message": event.message, "conversation": conversation}
                )
            event = await anext(events, None)
    finally:
        await events.aclose()


@router.get(
    "/conversations/{conversation_id}", auth=CHAT, response={200: ConversationOut, **ERRORS},
    summary="Read a conversation",
)  # fmt: skip
def conversation(request: HttpRequest, conversation_id: str) -> ConversationOut:
    """One of this key's conversations, with its messages and their sources."""
    key = key_of(request)
    session = access.get_conversation(key, conversation_id)
    slug = key.tenant.slug
    messages = [
        MessageOut(
            id=str(m.public_id),
            role=m.role,
            content=m.content,
            status=m.status,
            created=m.created,
            sources=[SourceOut(**source_out(request, slug, s)) for s in m.sources or []],
        )
        for m in session.messages.all()
    ]
    assistant = session.assistant.public_id if session.assistant_id else None
    return ConversationOut(
        id=str(session.public_id), title=session.title, created=session.created, updated=session.updated,
        assistant=str(assistant) if assistant else None, messages=messages,
    )  # fmt: skip
