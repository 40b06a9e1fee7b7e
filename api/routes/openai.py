"""An OpenAI-compatible endpoint: POST /api/v1/openai/chat/completions, GET /api/v1/openai/models.

Point any OpenAI client at base_url=<server>/api/v1/openai with an API key as its api_key. The
"models" are the workspace's assistants. The last user message is the question; the messages
before it become the conversation the answer continues (saved as a new conversation of the key's).
Answers are grounded and cited like any other, with the sources in an extra `sources` field,
which OpenAI clients ignore. A door into the one turn pipeline, like api/routes/chat.py.
"""

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from ninja import Field, Router, Schema

from api import access
from api.auth import AsyncKeyAuth, KeyAuth, key_of
from api.callers import ApiKeyCaller
from api.errors import ApiError
from api.models import ApiKey, Scope
from api.routes.chat import STATUS, source_out
from chat.models import ChatSession, Message
from chat.turns import Ask, Delta, Done, Event, Failed, Sources, Started, Turn, in_db_thread

router = Router(tags=["openai"])
CHAT, ASK = KeyAuth(Scope.CHAT), AsyncKeyAuth(Scope.CHAT)


class ChatMessage(Schema, extra="allow"):  # type: ignore[call-arg]
    role: str = Field(..., max_length=20)
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(Schema, extra="allow"):  # type: ignore[call-arg]
    include_usage: bool = False


class CompletionIn(Schema, extra="allow"):  # type: ignore[call-arg]
    model: str = Field(..., max_length=100, description="An assistant's id (see /models).")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None


class ModelOut(Schema):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    name: str


class ModelList(Schema):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def openai_error(status: int, code: str, message: str) -> JsonResponse:
    """{code, message} as every API error, and OpenAI's `error` object for its clients."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"code": code, "message": message, "error": {"message": message, "type": kind, "code": code}}
    return JsonResponse(body, status=status)


@router.get("/models", auth=CHAT, response=ModelList, summary="The assistants, as models")
def models(request: HttpRequest) -> ModelList:
    key = key_of(request)
    return ModelList(
        data=[
            ModelOut(
                id=str(a.public_id), created=int(a.created.timestamp()), owned_by=key.tenant.slug, name=a.name
            )
            for a in access.assistants(key)
        ]
    )


def text_of(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "".join(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
    return message.content or ""


def split(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the user/assistant turns before it."""
    talk = [(m.role, text_of(m)) for m in messages if m.role in ("user", "assistant")]
    if not talk or talk[-1][0] != "user":
        raise ApiError(
            400, "invalid_messages", "messages: the last user or assistant message must be the user's."
        )
    return talk[-1][1], talk[:-1]


def seed(key: ApiKey, assistant_id: int, history: list[tuple[str, str]]) -> str:
    """The earlier messages as a new conversation of the key's, for the answer to continue."""
    caller = ApiKeyCaller(key)
    first = next((text for role, text in history if role == "user"), "") or "Conversation"
    session: ChatSession = caller.new_session(title=first[:120], assistant_id=assistant_id)
    session.save()
    Message.objects.bulk_create(
        Message(session=session, role=Message.Role.USER if role == "user" else Message.Role.ASSISTANT,
                content=text[:50_000])
        for role, text in history
    )  # fmt: skip
    return str(session.public_id)


@router.post("/chat/completions", auth=ASK, summary="Chat completion (OpenAI-compatible)")
async def completions(request: HttpRequest, body: CompletionIn) -> HttpResponse:
    """OpenAI's chat completions, answered by the assistant named as `model` from the workspace's
    documents. `stream: true` sends chat.completion.chunk events, then `data: [DONE]`."""
    key = key_of(request)
    try:
        question, history = split(body.messages)
        assistant = await in_db_thread(access.get_assistant)(key, body.model)
    except ApiError as exc:
        code = "model_not_found" if exc.code == "not_found" else exc.code
        return openai_error(exc.status, code, exc.message)
    session = await in_db_thread(seed)(key, assistant.pk, history) if history else ""
    turn = Turn(
        ApiKeyCaller(key), Ask(question=question, session=session, assistant=str(assistant.public_id))
    )
    events = turn.events()
    first = await anext(events)
    if isinstance(first, Failed):
        await events.aclose()
        if session:
            await in_db_thread(lambda: ChatSession.objects.filter(public_id=session).delete())()
        return openai_error(STATUS[first.code], str(first.code), first.message)
    reply = Reply(request, key.tenant.slug, body.model)
    if body.stream:
        usage = bool(body.stream_options and body.stream_options.include_usage)
        response = StreamingHttpResponse(reply.chunks(first, events, usage), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
    return await reply.completion(first, events)


class Reply:
    """The turn's events in OpenAI's shapes."""

    def __init__(self, request: HttpRequest, slug: str, model: str) -> None:
        self.request, self.slug, self.model = request, slug, model
        self.id, self.created = "chatcmpl-", int(time.time())
        self.conversation, self.sources = "", []

    def note(self, event: Event) -> None:
        if isinstance(event, Started):
            self.conversation = str(event.session.public_id)
            self.id = f"chatcmpl-{event.answer.public_id}"
        elif isinstance(event, Sources):
            self.sources = [source_out(self.request, self.slug, s) for s in event.sources]

    def usage(self, answer: Message) -> dict[str, int]:
        p, c = answer.prompt_tokens, answer.completion_tokens
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    async def completion(self, first: Event, events: AsyncIterator[Event]) -> HttpResponse:
        event: Event | None = first
        try:
            while event is not None:
                self.note(event)
                if isinstance(event, Failed):
                    return openai_error(STATUS[event.code], str(event.code), event.message)
                if isinstance(event, Done):
                    answer = event.answer
                    break
                event = await anext(events, None)
        finally:
            await events.aclose()
        body = {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.content},
                         "finish_reason": "stop"}],
            "usage": self.usage(answer), "sources": self.sources, "conversation": self.conversation,
        }  # fmt: skip
        return HttpResponse(json.dumps(body), content_type="application/json")

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
        }  # fmt: skip
        return f"data: {json.dumps(body)}\n\n"

    def usage_chunk(self, answer: Message) -> str:
        body = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [], "usage": self.usage(answer),
        }  # fmt: skip
        return f"data: {json.dumps(body)}\n\n"

    async def chunks(
        self, first: Event, events: AsyncIterator[Event], include_usage: bool
    ) -> AsyncIterator[str]:
        """Closing this iterator (a client that went away) closes the turn's: the model request stops."""
        event: Event | None = first
        try:
            while event is not None:
                self.note(event)
                if isinstance(event, Started):
                    yield self.chunk({"role": "assistant", "content": ""})
                elif isinstance(event, Delta):
                    yield self.chunk({"content": event.text})
                elif isinstance(event, Done):
                    finish = "stop" if event.answer.status == Message.Status.COMPLETE else "length"
                    yield self.chunk({}, finish, sources=self.sources, conversation=self.conversation)
                    if include_usage:
                        yield self.usage_chunk(event.answer)
                elif isinstance(event, Failed):
                    error = {"message": event.message, "type": "server_error", "code": str(event.code)}
                    yield f"data: {json.dumps({'error': error})}\n\n"
                event = await anext(events, None)
            yield "data: [DONE]\n\n"
        finally:
            await events.aclose()
