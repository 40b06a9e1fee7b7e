from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.tests.fake_llm import FakeLLM


@pytest.fixture(autouse=True)
def private_cache(settings: SettingsWrapper) -> None:
    """Rate-limit counters of one test must not leak into the next (they live in the cache)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def llm(settings: SettingsWrapper) -> Iterator[FakeLLM]:
    """A local OpenAI-compatible server, with the settings pointing the real openai client at it."""
    fake = FakeLLM().start()
    settings.OPENAI_API_KEY = f"sk-test-{fake.port}"  # the embedder is cached per key
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_TIMEOUT = 2.0
    settings.OPENAI_MAX_RETRIES = 0
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_common_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Statistics left by an earlier test's ANALYZE must not decide which words count as common."""
    import time

    from chat import retrieval

    monkeypatch.setattr(retrieval, "_common_words", (time.monotonic(), frozenset()))
