"""Schemathesis against the v1 API's own OpenAPI document: no generated input gets a 500, and
every error is JSON with `code`, `message` and `detail` (the original backend's field)."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.tests.factories import make_document
from docuchat.testing import make_cast
from legacy import tokens

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = 25


def load() -> Any:
    """The v1 document, called in-process through the whole WSGI stack."""
    from docuchat.wsgi import application
    from legacy.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = application
    return loaded


schema = load()


@pytest.fixture
def token(transactional_db: None, settings: SettingsWrapper) -> str:
    settings.OPENAI_API_KEY = ""  # nothing leaves the machine
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cast = make_cast()
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    return tokens.issue(cast.member)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_never_answers_500_and_errors_are_json(case: schemathesis.Case, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}", "X-Tenant-ID": "acme"})
    if case.formatted_path == "/healthz":  # the probe; 503 naming the worker, as no worker runs here
        assert response.status_code in (200, 405, 503)
        return
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
            case.method, case.formatted_path, response.status_code, response.text[:300],
        )  # fmt: skip
        body = response.json()
        assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
        assert body.get("detail") is not None, body
