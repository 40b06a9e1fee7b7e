"""The API's test cast: the shared two tenants, keys of each, and a client that sends a key."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from api import keys
from api.models import Scope
from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401  (fixtures)
from chat.tests.fake_llm import FakeLLM
from tenants.models import Tenant

ALL = list(Scope.values)
MakeKey = Callable[..., str]


@pytest.fixture
def make_key() -> MakeKey:
    """make_key(tenant, scopes=ALL, **fields) -> the secret of a new key."""

    def make(tenant: Tenant, scopes: list[str] | None = None, **fields: Any) -> str:
        return keys.create(tenant, None, "Test key", ALL if scopes is None else scopes, **fields).secret

    return make


class KeyClient(Client):
    """Django's test client through the whole middleware stack, sending `key` as the bearer token."""

    def __init__(self, key: str = "", **kwargs: Any) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        super().__init__(headers=headers, **kwargs)


@pytest.fixture
def api_client() -> Callable[[str], KeyClient]:
    return KeyClient


@pytest.fixture
def live_llm(settings: SettingsWrapper) -> Iterator[FakeLLM]:
    """The fake model for a live server (a separate process): the same as `llm`."""
    fake = FakeLLM().start()
    settings.OPENAI_API_KEY = f"sk-test-{fake.port}"
    settings.OPENAI_BASE_URL = fake.url
    yield fake
    fake.stop()
