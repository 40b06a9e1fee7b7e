"""Schemathesis against our own OpenAPI document: no generated input gets a 500, and every error
is JSON {code, message}. A few dozen examples per operation keep it to a few minutes."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings as SettingsWrapper

from api import keys
from api.models import Scope
from chat.tests.factories import make_document
from docuchat.testing import make_cast

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = 25


def load() -> Any:
    """Our own OpenAPI document, called in-process through the whole WSGI stack."""
    from api.api import api
    from docuchat.wsgi import application

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = application
    return loaded


schema = load()


@pytest.fixture
def secret(transactional_db: None, settings: SettingsWrapper, tmp_path: Any) -> str:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "ocr"]}
    }
    settings.OPENAI_API_KEY = ""  # answers from the offline model: nothing leaves the machine
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cast = make_cast()
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    return keys.create(cast.acme, None, "fuzz", list(Scope.values), rate_per_minute=10**6).secret


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_never_answers_500_and_errors_are_json(case: schemathesis.Case, secret: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
