"""The embedder registry: which embedding models this server allows, each with its dimension.

- Offline models are always allowed: they run on this server with nothing to download. The default
  is WordLlama (`offline-wordllama-v1`, 512 wide: documents/wordllama.py); the feature-hashing
  embedder (`offline-hash-v1`, EMBEDDING_DIMENSIONS wide), which earlier installations indexed
  with, stays registered so that they keep answering until they switch.
- OpenAI (or OpenAI-compatible, OPENAI_BASE_URL) models are allowed while OPENAI_API_KEY is set:
  EMBEDDING_MODEL at EMBEDDING_DIMENSIONS, plus each "name:dimensions" of EMBEDDING_MODELS.

A model is a (name, dimensions) pair: text-embedding-3-small at 512 and at 1536 dimensions are two
models whose vectors cannot be compared. `default()` is the model a new workspace starts with.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from documents import wordllama
from documents.embeddings import OFFLINE_MODEL, Embedder, OfflineEmbedder, OpenAIEmbedder


@dataclass(frozen=True)
class ModelSpec:
    name: str
    dimensions: int
    offline: bool

    @property
    def key(self) -> str:
        """How forms and commands name the model: "name:dimensions"."""
        return f"{self.name}:{self.dimensions}"

    @property
    def label(self) -> str:
        where = "offline, computed on this server" if self.offline else _remote_where()
        return f"{self.name} ({self.dimensions} dimensions, {where})"


def _remote_where() -> str:
    return "an OpenAI-compatible server" if settings.OPENAI_BASE_URL else "OpenAI"


# name -> (dimensions, factory). Each offline embedder has its own dimension (no padding needed:
# each model has its own table); the first entry is the offline default for new workspaces. Keep
# offline-hash-v1 registered: installations indexed with it keep answering until their owners
# switch (the Documents page offers it).
OFFLINE_MODELS: dict[str, tuple[Callable[[], int], Callable[[int], Embedder]]] = {
    wordllama.MODEL: (lambda: wordllama.DIMENSIONS, wordllama.WordLlamaEmbedder),
    OFFLINE_MODEL: (lambda: settings.EMBEDDING_DIMENSIONS, OfflineEmbedder),
}


def offline_models() -> list[ModelSpec]:
    return [ModelSpec(name, dimensions(), offline=True) for name, (dimensions, _) in OFFLINE_MODELS.items()]


def remote_models() -> list[ModelSpec]:
    """The OpenAI-compatible models, whether or not OPENAI_API_KEY is set now."""
    specs = [ModelSpec(settings.EMBEDDING_MODEL, settings.EMBEDDING_DIMENSIONS, offline=False)]
    for name, dimensions in settings.EMBEDDING_MODELS:
        spec = ModelSpec(name, dimensions, offline=False)
        if spec not in specs:
            specs.append(spec)
    return specs


def allowed() -> list[ModelSpec]:
    """Every model a workspace may use on this server now, the default first."""
    specs = [default()]
    for spec in offline_models() + (remote_models() if settings.OPENAI_API_KEY else []):
        if spec not in specs:
            specs.append(spec)
    return specs


def default() -> ModelSpec:
    """A new workspace's model: EMBEDDING_MODEL with a key, else the offline embedder."""
    if settings.OPENAI_API_KEY:
        return remote_models()[0]
    return offline_models()[0]


def find(name: str, dimensions: int) -> ModelSpec | None:
    """The allowed model of that name and size, or None if this server does not allow it now."""
    return next((s for s in allowed() if s.name == name and s.dimensions == dimensions), None)


def parse(key: str) -> ModelSpec | None:
    """An allowed model from "name:dimensions", or from its bare name when only one size is allowed."""
    name, _, size = key.strip().rpartition(":") if ":" in key else (key.strip(), "", "")
    matches = [s for s in allowed() if s.name == name and (not size or str(s.dimensions) == size)]
    return matches[0] if len(matches) == 1 else None


def embedder(spec: ModelSpec) -> Embedder:
    if spec.offline:
        return _offline(spec.name, spec.dimensions)
    return _remote(spec.name, spec.dimensions, *_client_settings())


def _client_settings() -> tuple[object, ...]:
    s = settings
    return (s.OPENAI_API_KEY, s.OPENAI_BASE_URL, s.OPENAI_TIMEOUT, s.OPENAI_MAX_RETRIES)


_clients: dict[tuple[object, ...], Embedder] = {}


@cache
def _offline(name: str, dimensions: int) -> Embedder:
    _, factory = OFFLINE_MODELS[name]
    return factory(dimensions)


def _remote(name: str, dimensions: int, *client_settings: object) -> Embedder:
    """One client per model and client settings (a changed base URL in tests gets a new one)."""
    key = (name, dimensions, *client_settings)
    if key not in _clients:
        _clients[key] = OpenAIEmbedder(name, dimensions)
    return _clients[key]
