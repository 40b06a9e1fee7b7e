"""Answer generation: OpenAI chat completions streamed (or any compatible server), or offline.

`stream_answer` yields the answer's text as it comes and fills in a Usage at the end. It raises
GenerationError, with a message fit for the page, when the model fails. Retries happen only before
the first token: the SDK retries the request itself (OPENAI_MAX_RETRIES, on connection errors,
408/409/429 and 5xx) and nothing retries a stream once it has begun.
"""

import asyncio
import logging
import re
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from django.conf import settings

from chat.markdown import literal
from chat.prompt import Prompt
from chat.retrieval import Hit, best_sentence, passage_from, question_words, sentences_of
from docuchat.lib.tokens import count_tokens

log = logging.getLogger(__name__)

OFFLINE_MODEL = "offline-extractive"
OFFLINE_NOTICE = (
    "**No language model is configured** (OPENAI_API_KEY is not set), so this answer quotes the most "
    "relevant passages of your documents instead of writing one."
)
NO_SOURCES_ANSWER = (
    "I could not find anything in this workspace's documents that answers this, so I will not "
    "guess. Try other words, or check that the document that covers it has been uploaded."
)
OFFLINE_PASSAGES = 3


class GenerationError(Exception):
    """The model failed; str() is the message shown in the page."""


@dataclass
class Usage:
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    exact: bool = False  # reported by the API, not counted by us


def is_offline() -> bool:
    return not settings.OPENAI_API_KEY


def stream_answer(
    prompt: Prompt, question: str, model: str, usage: Usage, *, not_covered: str = NO_SOURCES_ANSWER
) -> AsyncIterator[str]:
    """The answer's text pieces; `usage` is complete once the iterator is exhausted.

    Without sources no model is asked: the answer is `not_covered`.
    """
    if not prompt.has_sources:
        return stream_text(not_covered, usage, model="")
    if is_offline():
        usage.prompt_tokens = prompt.tokens
        return stream_text(extractive_answer(question, prompt.hits), usage, model=OFFLINE_MODEL)
    return stream_openai(prompt, model, usage)


async def stream_text(text: str, usage: Usage, *, model: str) -> AsyncIterator[str]:
    """Stream a text we wrote ourselves, word by word, counting its tokens like a model's."""
    usage.model = model
    for piece in re.findall(r"\s*\S+", text):
        yield piece
        await asyncio.sleep(0)
    usage.completion_tokens = count_tokens(text) if model else 0


async def stream_openai(prompt: Prompt, model: str, usage: Usage) -> AsyncIterator[str]:
    import openai

    usage.model = model
    body = {
        "model": model,
        "messages": prompt.messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": settings.CHAT_MAX_COMPLETION_TOKENS,  # the budget reserved for the answer
    }
    try:
        # The SDK's own request (retries, errors, SSE and error events), but each chunk stays the
        # JSON dict it arrived as: building a pydantic model per streamed chunk was a fifth of a
        # busy process's time (py-spy, the 200-chat burst).
        stream = await client().post(
            "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=openai.AsyncStream[object]
        )
        try:
            async for chunk in stream:
                if chunk.get("usage"):
                    usage.model = chunk.get("model") or model
                    usage.prompt_tokens = chunk["usage"].get("prompt_tokens") or 0
                    usage.completion_tokens = chunk["usage"].get("completion_tokens") or 0
                    usage.exact = True
                for choice in chunk.get("choices") or ():
                    if content := (choice.get("delta") or {}).get("content"):
                        yield content
                    if choice.get("finish_reason") == "content_filter":
                        raise GenerationError("The model's content filter stopped this answer.")
        finally:  # stopped early (the caller closed this iterator): end the request now, not at GC
            await stream.close()
    except openai.APIError as exc:
        raise GenerationError(describe(exc)) from exc


def describe(exc: Exception) -> str:
    """A sentence for the page that says what went wrong with the model call."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"The model did not answer in time ({settings.OPENAI_TIMEOUT:g} s). Try again."
    if isinstance(exc, openai.RateLimitError):
        return "The model provider is rate-limiting us right now (429). Try again in a moment."
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = str(body.get("message") or exc.message or "").strip().rstrip(".")[:200]
        return f"The model refused the request ({exc.status_code}): {detail}."
    if isinstance(exc, openai.APIConnectionError):
        return "The model could not be reached (connection failed). Try again."
    detail = (getattr(exc, "message", "") or str(exc)).strip().rstrip(".")[:200]
    return f"The model stopped with an error: {detail}."


_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, object]]" = (
    weakref.WeakKeyDictionary()
)


def client() -> "openai.AsyncOpenAI":  # type: ignore[name-defined]  # noqa: F821
    """One AsyncOpenAI per event loop and configuration, so connections are pooled and reused."""
    from openai import AsyncOpenAI

    config = (
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT,
        settings.OPENAI_MAX_RETRIES,
    )
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    if config not in per_loop:
        per_loop[config] = AsyncOpenAI(
            api_key=config[0], base_url=config[1] or None, timeout=config[2], max_retries=config[3]
        )
    return per_loop[config]  # type: ignore[return-value]


def extractive_answer(question: str, hits: Sequence[Hit]) -> str:
    """Offline mode: the passages of the best sources that answer best, quoted exactly and cited,
    under a plain notice. Each hit was focused by retrieval on the sentence nearest the question
    in meaning (chat.retrieval.refocus); its citation opens that sentence's page."""
    words = question_words(question)
    quotes = [
        f"> {literal(hit.passage or best_passage(hit.text, words))} [{n}]"
        for n, hit in enumerate(hits[:OFFLINE_PASSAGES], start=1)
    ]
    return "\n\n".join([OFFLINE_NOTICE, *quotes])


def best_passage(text: str, words: set[str]) -> str:
    """The sentence that shares most words with the question, with what follows, about PASSAGE_WORDS."""
    sentences = sentences_of(text)
    return passage_from(sentences[best_sentence(sentences, words) :]) if sentences else ""
