"""Every error under /api/ is JSON {code, message}; the OpenAPI document and docs are ours."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from api.tests.conftest import KeyClient, MakeKey
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from usage import metering
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"], body


def test_unknown_paths_and_methods_answer_json(cast: Cast, make_key: MakeKey) -> None:
    client = KeyClient(make_key(cast.acme))
    assert_json_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_json_error(client.get("/api/nothing"), 404, "not_found")
    assert_json_error(client.put("/api/v1/documents"), 405, "method_not_allowed")
    assert_json_error(client.get("/api/v1/documents/x\x00y"), 400, "bad_request")  # refused by middleware


def test_a_server_error_answers_json(cast: Cast, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.routes import usage

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(usage.access, "usage_records", broken)
    client = KeyClient(make_key(cast.acme), raise_request_exception=False)
    assert_json_error(client.get("/api/v1/usage"), 500, "server_error")


def test_a_body_over_the_limit_answers_413_json_before_it_is_read() -> None:
    from docuchat.asgi import application

    sent: list[dict] = []

    async def run() -> None:
        scope = {
            "type": "http", "method": "POST", "path": "/api/v1/chat", "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"content-length", str(10**9).encode())],
        }  # fmt: skip

        async def receive() -> dict:
            raise AssertionError("the body must not be read")

        async def send(message: dict) -> None:
            sent.append(message)

        await application(scope, receive, send)

    async_to_sync(run)()
    assert sent[0]["status"] == 413 and (b"content-type", b"application/json") in sent[0]["headers"]
    assert b'"code": "too_large"' in sent[1]["body"]


def test_the_openapi_document_lists_every_route() -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/documents", "/api/v1/documents/{document_id}", "/api/v1/chat",
        "/api/v1/conversations/{conversation_id}", "/api/v1/usage", "/api/v1/assistants",
        "/api/v1/assistants/{assistant_id}", "/api/v1/assistants/{assistant_id}/snippet",
        "/api/v1/assistants/{assistant_id}/rotate", "/api/v1/openai/models",
        "/api/v1/openai/chat/completions",
    ):  # fmt: skip
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["KeyAuth"]["scheme"] == "bearer"


def test_the_docs_page_uses_only_our_static_files() -> None:
    from django.test import Client

    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text


def test_it_reports_usage_in_total_and_per_day(cast: Cast, make_key: MakeKey) -> None:
    metering.record(cast.acme, cast.owner, UsageRecord.Kind.CHAT, "gpt-4o-mini", 100, 20)
    old = metering.record(cast.acme, cast.owner, UsageRecord.Kind.CHAT, "gpt-4o-mini", 5, 5)
    UsageRecord.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=3))
    metering.record(cast.globex, cast.other, UsageRecord.Kind.CHAT, "gpt-4o-mini", 999, 999)
    client = KeyClient(make_key(cast.acme, ["usage:read"]))
    body = client.get("/api/v1/usage").json()
    assert body["totals"]["tokens"] == 130 and body["totals"]["calls"] == 2
    assert [d["tokens"] for d in body["days"]] == [10, 120]
    today = timezone.localdate()
    recent = client.get("/api/v1/usage", {"since": str(today), "until": str(today)}).json()
    assert recent["totals"]["prompt_tokens"] == 100 and recent["totals"]["completion_tokens"] == 20
    assert_json_error(
        client.get("/api/v1/usage", {"since": "2026-02-01", "until": "2026-01-01"}), 400, "invalid_range"
    )
    assert_json_error(client.get("/api/v1/usage", {"since": "yesterday"}), 422, "invalid_request")
    assert_json_error(client.get("/api/v1/usage", {"until": "9999-12-31"}), 400, "invalid_range")


def test_cors_is_off_unless_the_key_lists_the_origin(cast: Cast, make_key: MakeKey) -> None:
    listed = KeyClient(make_key(cast.acme, ["usage:read"], allowed_origins=["https://app.acme.test"]))
    plain = KeyClient(make_key(cast.acme, ["usage:read"]))
    ok = listed.get("/api/v1/usage", headers={"Origin": "https://app.acme.test"})
    assert ok["Access-Control-Allow-Origin"] == "https://app.acme.test"
    assert "Access-Control-Allow-Origin" not in listed.get(
        "/api/v1/usage", headers={"Origin": "https://evil.test"}
    )
    assert "Access-Control-Allow-Origin" not in plain.get(
        "/api/v1/usage", headers={"Origin": "https://app.acme.test"}
    )
    preflight = {"Origin": "https://app.acme.test", "Access-Control-Request-Method": "POST"}
    answered = plain.options("/api/v1/chat", headers=preflight)
    assert answered.status_code == 204 and answered["Access-Control-Allow-Origin"] == "https://app.acme.test"
    assert "Authorization" in answered["Access-Control-Allow-Headers"]
    other = plain.options("/api/v1/chat", headers={**preflight, "Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.django_db(transaction=True)
def test_cors_answers_the_chat_routes_only_for_the_keys_own_origins(
    cast: Cast, make_key: MakeKey, llm: FakeLLM
) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from assistants.models import Assistant
    from chat.tests.factories import make_document

    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    listed = make_key(cast.acme, ["chat"], allowed_origins=["https://app.acme.test"])
    make_key(cast.globex, ["chat"], allowed_origins=["https://app.globex.test"])
    model = str(Assistant.objects.get(tenant=cast.acme).public_id)
    question = {"question": "What is the refund policy?"}
    completion = {"model": model, "messages": [{"role": "user", "content": "What is the refund policy?"}]}
    calls = [
        ("/api/v1/chat", question), ("/api/v1/chat", {**question, "stream": True}),
        ("/api/v1/openai/chat/completions", completion),
        ("/api/v1/openai/chat/completions", {**completion, "stream": True}),
    ]  # fmt: skip

    async def allowed(path: str, body: dict, origin: str) -> str | None:
        headers = {"Authorization": f"Bearer {listed}", "Origin": origin}
        response = await AsyncClient().post(path, body, content_type="application/json", headers=headers)
        if response.streaming:
            [part async for part in response.streaming_content]
        assert response.status_code == 200 and "Origin" in response["Vary"]
        return response.get("Access-Control-Allow-Origin")

    for path, body in calls:
        assert async_to_sync(allowed)(path, body, "https://app.acme.test") == "https://app.acme.test"
        assert async_to_sync(allowed)(path, body, "https://app.globex.test") is None  # another workspace's


def test_a_preflight_is_refused_for_origins_only_revoked_or_expired_keys_list(cast: Cast) -> None:
    from django.test import Client

    from api import keys

    revoked = keys.create(cast.acme, None, "Old", ["chat"], allowed_origins=["https://old.test"])
    keys.revoke(revoked.key, None)
    keys.create(
        cast.acme, None, "Expired", ["chat"], allowed_origins=["https://gone.test"],
        expires=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    for origin in ("https://old.test", "https://gone.test"):
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        answered = Client().options("/api/v1/chat", headers=headers)
        assert answered.status_code == 204 and "Access-Control-Allow-Origin" not in answered


@pytest.mark.django_db(transaction=True)  # the chat routes check keys in the chat's database threads
def test_every_kind_of_error_under_api_is_json_with_a_code_and_a_message(
    cast: Cast, make_key: MakeKey
) -> None:
    client = KeyClient(make_key(cast.acme), raise_request_exception=False)
    for path in ("/api/", "/api/v2/documents", "/api/v1/documents/1/2/3", "/api/v1/openai/embeddings"):
        assert_json_error(client.get(path), 404, "not_found")
    for method, path in (
        (client.delete, "/api/v1/chat"), (client.post, "/api/v1/usage"),
        (client.put, "/api/v1/openai/models"), (client.patch, "/api/v1/documents"),
        (client.post, "/api/v1/conversations/x"),
    ):  # fmt: skip
        response = method(path)
        assert_json_error(response, 405, "method_not_allowed")
    for path in ("/api/v1/chat", "/api/v1/assistants", "/api/v1/openai/chat/completions"):
        for body in ("{not json", '{"question": "unclosed', "[1, 2", "{}}"):
            assert_json_error(client.post(path, body, content_type="application/json"), 400, "invalid_json")
    assert_json_error(
        client.post("/api/v1/chat", {"question": ["a"]}, content_type="application/json"),
        422,
        "invalid_request",
    )
    for body in ({}, ""):
        response = client.post("/api/v1/chat", body, content_type="application/json")
        assert_json_error(response, 422, "invalid_request")
    assert_json_error(KeyClient("").get("/api/v1/documents"), 401, "unauthorized")
    assert_json_error(KeyClient(make_key(cast.acme, ["chat"])).get("/api/v1/usage"), 403, "missing_scope")
    assert_json_error(client.get("/api/v1/documents/not-a-uuid"), 404, "not_found")


def test_a_streamed_body_over_the_limit_answers_413_json(settings) -> None:
    from docuchat.asgi import application

    settings.MAX_REQUEST_BODY_KB = 4
    sent: list[dict] = []
    pieces = [{"type": "http.request", "body": b"x" * 1024, "more_body": True} for _ in range(10)]

    async def run() -> None:
        scope = {
            "type": "http", "method": "POST", "path": "/api/v1/chat", "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                        (b"transfer-encoding", b"chunked")],
        }  # fmt: skip

        async def receive() -> dict:
            return pieces.pop(0) if pieces else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await application(scope, receive, send)

    async_to_sync(run)()
    assert sent[0]["status"] == 413 and (b"content-type", b"application/json") in sent[0]["headers"]
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["code"] == "too_large" and body["message"]
    assert pieces, "the body was not read to its end"
