"""Embedding providers, chosen by settings: OpenAI (or any compatible server) or offline.

Both return vectors of EMBEDDING_DIMENSIONS floats and the tokens they consumed.
`get_embedder()` is the only constructor callers use.
"""

import array
import base64
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import batched, pairwise
from typing import Protocol

from django.conf import settings

from docuchat.lib.tokens import count_tokens

OFFLINE_MODEL = "offline-hash-v1"


@dataclass
class Embeddings:
    vectors: list[list[float]] = field(default_factory=list)
    tokens: int = 0
    model: str = ""
    # Each text's packed sentence-window vectors (documents/windows.py), when asked for: ingestion
    # with an offline model. Empty otherwise.
    windows: list[bytes | None] = field(default_factory=list)


class EmbeddingError(Exception):
    """The provider failed after its retries; the message is fit to show a user.

    `partial` holds what earlier batches of the same call returned: those tokens were paid for.
    """

    partial: Embeddings = Embeddings()


class Embedder(Protocol):
    model: str
    dimensions: int
    offline: bool

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Embeddings: ...


class OfflineEmbedder:
    """Deterministic, local, no download: signed feature hashing of words and word pairs.

    Similar wording gives similar vectors, which is enough for retrieval and extractive
    answers when no model is configured. Token counts come from tiktoken.
    """

    model = OFFLINE_MODEL
    offline = True
    _words = re.compile(r"\w+", re.UNICODE)

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Embeddings:
        result = Embeddings(model=self.model)
        for batch in batched(texts, settings.EMBEDDING_BATCH_SIZE):
            result.vectors.extend(self.vector(text) for text in batch)
            result.tokens += sum(count_tokens(text) for text in batch)
            if on_batch:
                on_batch(len(batch))
        return result

    def vector(self, text: str) -> list[float]:
        words = [w.lower() for w in self._words.findall(text)]
        counts: dict[int, float] = {}
        for feature in [*words, *(f"{a} {b}" for a, b in pairwise(words))]:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimensions
            sign = 1.0 if digest[4] & 1 else -1.0
            counts[slot] = counts.get(slot, 0.0) + sign
        vec = [0.0] * self.dimensions
        for slot, value in counts.items():
            vec[slot] = math.copysign(1 + math.log(abs(value)), value) if value else 0.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]


class OpenAIEmbedder:
    """OpenAI's embeddings API, or any compatible server via OPENAI_BASE_URL.

    The SDK retries with exponential backoff on connection errors, 429 and 5xx
    (OPENAI_MAX_RETRIES), and each request has OPENAI_TIMEOUT.
    """

    offline = False

    def __init__(self, model: str, dimensions: int) -> None:
        from openai import OpenAI

        self.model = model
        self.dimensions = dimensions
        self.client = OpenAI(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
        )

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Embeddings:
        result = Embeddings(model=self.model)
        for batch in batched(texts, settings.EMBEDDING_BATCH_SIZE):
            try:
                vectors, tokens = self._request(list(batch))
            except EmbeddingError as exc:
                exc.partial = result
                raise
            result.vectors.extend(vectors)
            result.tokens += tokens
            if on_batch:
                on_batch(len(batch))
        return result

    def _request(self, batch: list[str]) -> tuple[list[list[float]], int]:
        import openai

        extra = {"dimensions": self.dimensions} if self.model.startswith("text-embedding-3") else {}
        body = {"model": self.model, "input": batch, "encoding_format": "base64", **extra}
        try:
            # The SDK's request (retries, errors), but the JSON kept as it came: the SDK's models
            # built an object per number of every vector, about a third of a chat turn's Python
            # time (py-spy, bench/chat_concurrency.py).
            response = self.client.post("/embeddings", body=body, cast_to=object)
        except openai.APITimeoutError as exc:
            raise EmbeddingError(f"The embedding service timed out ({settings.OPENAI_TIMEOUT:g}s).") from exc
        except openai.APIStatusError as exc:
            raise EmbeddingError(f"The embedding service refused the request ({exc.status_code}).") from exc
        except openai.APIConnectionError as exc:
            raise EmbeddingError("The embedding service could not be reached.") from exc
        data = response.get("data") if isinstance(response, dict) else None
        if not isinstance(data, list):
            raise EmbeddingError(f"{self.model} returned no embeddings.")
        vectors = [decoded(item.get("embedding")) for item in sorted(data, key=lambda d: d.get("index", 0))]
        if len(vectors) != len(batch) or any(len(v) != self.dimensions for v in vectors):
            size = len(vectors[0]) if vectors else 0
            raise EmbeddingError(
                f"{self.model} returned {len(vectors)} vectors of {size} dimensions for {len(batch)} "
                f"texts; EMBEDDING_DIMENSIONS is {self.dimensions}."
            )
        usage = response.get("usage") or {}
        tokens = usage["prompt_tokens"] if "prompt_tokens" in usage else sum(map(count_tokens, batch))
        return vectors, tokens


def decoded(embedding: object) -> list[float]:
    """A vector as the API sent it: base64 of little-endian float32s (what we ask for), or a list."""
    if isinstance(embedding, str):
        return array.array("f", base64.b64decode(embedding)).tolist()
    return list(embedding) if isinstance(embedding, list) else []


@cache
def _embedder(api_key: str, model: str, dimensions: int, *client_settings: object) -> Embedder:
    if not api_key:  # the offline default (documents/registry.py): WordLlama
        from documents import registry

        return registry.embedder(registry.default())
    return OpenAIEmbedder(model, dimensions)


def get_embedder() -> Embedder:
    """The configured provider: offline when OPENAI_API_KEY is unset.

    Cached per configuration: every setting the client is built from is part of the key, so a
    changed base URL or timeout (override_settings in tests) gets a new client.
    """
    return _embedder(
        settings.OPENAI_API_KEY,
        settings.EMBEDDING_MODEL,
        settings.EMBEDDING_DIMENSIONS,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT,
        settings.OPENAI_MAX_RETRIES,
    )
