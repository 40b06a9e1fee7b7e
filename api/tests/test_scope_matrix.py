"""Every API route, with each kind of credential: the scope it needs, keys without it, another
workspace's key, a revoked key, a rotated key inside and after its grace period, no key, and a
staff member's session cookie without a key. Refusals must leave everything as it was."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from api import keys
from api.models import ApiKey, Scope
from api.tests.conftest import KeyClient
from assistants.models import Assistant
from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from tenants.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)
JSON = "application/json"
Path = Callable[[Tenant, ApiKey], str]
SEEDS = itertools.count()  # every document and upload a different file


def document_path(tenant: Tenant, key: ApiKey) -> str:
    return f"/api/v1/documents/{make_document(tenant, f'Doc {next(SEEDS)}', ['some text']).public_id}"


def conversation_path(tenant: Tenant, key: ApiKey) -> str:
    session = ChatSession.objects.create(
        tenant=tenant, api_key=key if key.tenant == tenant else None, title="t"
    )
    return f"/api/v1/conversations/{session.public_id}"


def assistant_path(tenant: Tenant, key: ApiKey) -> str:
    return f"/api/v1/assistants/{Assistant.objects.create(tenant=tenant, name='Extra').public_id}"


def default_model(tenant: Tenant) -> str:
    return str(Assistant.objects.get(tenant=tenant, is_default=True).public_id)


def static(path: str) -> Path:
    return lambda tenant, key: path


@dataclass
class Route:
    method: str
    path: Path
    scopes: tuple[str, ...]  # any one of them
    ok: int
    body: Callable[[Tenant], Any] = lambda tenant: None
    multipart: bool = False
    objects: bool = field(default=True)  # another workspace's key gets 404 (an object of ours)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path.__name__ if hasattr(self.path, '__name__') else ''}"


def upload_body(tenant: Tenant) -> dict[str, Any]:
    data = pdfs.text_pdf(1, seed=next(SEEDS))
    return {"file": SimpleUploadedFile("m.pdf", data, content_type="application/pdf")}


ROUTES = [
    Route("get", static("/api/v1/documents"), (Scope.DOCUMENTS_READ,), 200, objects=False),
    Route("post", static("/api/v1/documents"), (Scope.DOCUMENTS_WRITE,), 202, upload_body, True,
          objects=False),
    Route("get", document_path, (Scope.DOCUMENTS_READ,), 200),
    Route("delete", document_path, (Scope.DOCUMENTS_WRITE,), 204),
    Route("post", static("/api/v1/chat"), (Scope.CHAT,), 200, lambda t: {"question": "Refund?"},
          objects=False),
    Route("get", conversation_path, (Scope.CHAT,), 200),
    Route("get", static("/api/v1/usage"), (Scope.USAGE_READ,), 200, objects=False),
    Route("get", static("/api/v1/assistants"), (Scope.CHAT, Scope.ASSISTANTS_WRITE), 200, objects=False),
    Route("get", assistant_path, (Scope.CHAT, Scope.ASSISTANTS_WRITE), 200),
    Route("post", static("/api/v1/assistants"), (Scope.ASSISTANTS_WRITE,), 201, lambda t: {"name": "New"},
          objects=False),
    Route("patch", assistant_path, (Scope.ASSISTANTS_WRITE,), 200, lambda t: {"name": "Renamed"}),
    Route("delete", assistant_path, (Scope.ASSISTANTS_WRITE,), 204),
    Route("get", lambda t, k: assistant_path(t, k) + "/snippet", (Scope.CHAT, Scope.ASSISTANTS_WRITE), 200),
    Route("post", lambda t, k: assistant_path(t, k) + "/rotate", (Scope.ASSISTANTS_WRITE,), 200),
    Route("get", static("/api/v1/openai/models"), (Scope.CHAT,), 200, objects=False),
    Route("post", static("/api/v1/openai/chat/completions"), (Scope.CHAT,), 200,
          lambda t: {"model": default_model(t), "messages": [{"role": "user", "content": "Refund?"}]},
          objects=False),
]  # fmt: skip


def call(client: Client, route: Route, tenant: Tenant, key: ApiKey) -> Any:
    path, body = route.path(tenant, key), route.body(tenant)
    if route.multipart:
        return getattr(client, route.method)(path, body)
    if body is None:
        return getattr(client, route.method)(path)
    return getattr(client, route.method)(path, body, content_type=JSON)


def snapshot() -> tuple[object, ...]:
    return (
        sorted(Document.objects.values_list("public_id", flat=True)),
        sorted(Assistant.objects.values_list("public_id", "name")),
        Message.objects.count(),
    )


def refused(client: Client, tenant: Tenant, key: ApiKey, expected: Callable[[Route], int]) -> None:
    for route in ROUTES:
        path = route.path(tenant, key)  # built before the snapshot: the object must stay
        route_at = Route(**{**route.__dict__, "path": static(path)})
        before = snapshot()
        response = call(client, route_at, tenant, key)
        want = expected(route)
        assert response.status_code == want, (route.method, path, response.content)
        assert set(response.json()) >= {"code", "message"}, (route.method, path)
        assert snapshot() == before, (route.method, path, "changed something")


@pytest.fixture(autouse=True)
def world(cast: Cast, llm: FakeLLM, settings: Any, tmp_path: Any) -> Cast:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "ocr"]}
    }
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    return cast


def issue(tenant: Tenant, scopes: list[str]) -> tuple[ApiKey, str]:
    issued = keys.create(tenant, None, "k", scopes)
    return issued.key, issued.secret


def test_a_key_with_the_routes_scope_is_answered(world: Cast) -> None:
    for route in ROUTES:
        for scope in route.scopes:
            key, secret = issue(world.acme, [scope])
            response = call(KeyClient(secret), route, world.acme, key)
            assert response.status_code == route.ok, (route.method, scope, response.content)


def test_a_key_without_the_routes_scope_gets_403_naming_it(world: Cast) -> None:
    for route in ROUTES:
        key, secret = issue(world.acme, [s for s in Scope.values if s not in route.scopes])
        path = route.path(world.acme, key)
        before = snapshot()
        response = call(KeyClient(secret), Route(**{**route.__dict__, "path": static(path)}), world.acme, key)
        assert response.status_code == 403, (route.method, path)
        assert response.json()["code"] == "missing_scope"
        assert all(f"'{s}'" in response.json()["message"] for s in route.scopes)
        assert snapshot() == before


def test_another_workspaces_key_gets_404_for_our_objects(world: Cast) -> None:
    key, secret = issue(world.globex, list(Scope.values))
    for route in [r for r in ROUTES if r.objects]:
        path = route.path(world.acme, key)  # an object of acme's
        before = snapshot()
        response = call(KeyClient(secret), Route(**{**route.__dict__, "path": static(path)}), world.acme, key)
        assert response.status_code == 404, (route.method, path)
        assert snapshot() == before
    listed = KeyClient(secret).get("/api/v1/documents").json()
    assert listed["count"] == 0  # and sees none of them in lists
    assert "Handbook" not in KeyClient(secret).get("/api/v1/openai/models").text


def test_a_revoked_key_gets_401(world: Cast) -> None:
    key, secret = issue(world.acme, list(Scope.values))
    keys.revoke(key, None)
    refused(KeyClient(secret), world.acme, key, lambda route: 401)


def test_no_key_and_a_staff_session_without_a_key_get_401(world: Cast) -> None:
    from accounts.models import User

    staff = User.objects.for_email("staff@docuchat.test")
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(User.objects.get(pk=staff.pk))
    key, _ = issue(world.acme, list(Scope.values))  # only for building paths
    refused(browser, world.acme, key, lambda route: 401)
    owner = Client()
    owner.force_login(world.owner)  # a member's session is no key either
    refused(owner, world.acme, key, lambda route: 401)


def test_a_rotated_key_works_in_its_grace_period_and_not_after(world: Cast) -> None:
    key, old = issue(world.acme, list(Scope.values))
    new = keys.rotate(key, None, grace_hours=1).secret
    for route in ROUTES:
        response = call(KeyClient(old), route, world.acme, key)
        assert response.status_code == route.ok, (route.method, "old secret in its grace period")
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=5)):
        refused(KeyClient(old), world.acme, key, lambda route: 401)
        for route in ROUTES[:3]:
            assert call(KeyClient(new), route, world.acme, key).status_code == route.ok
