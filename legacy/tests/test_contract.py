"""The v1 contract, end to end: a client of the original backend drives a fresh server process over
real HTTP and a real WebSocket, as it did before.

Production's server (docuchat.serve, uvicorn) and a db_worker run as their own processes on the test
database; the model is the fake OpenAI-compatible server. The client asks for a code (read from the
email the server wrote to a file), verifies it, uploads a PDF, waits until it is ready, chats over
/ws/chat, reads its usage, and is refused once it has logged out of all sessions.
"""

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from websockets.sync.client import ClientConnection, connect

from accounts.models import User
from accounts.sessions import end_all_sessions
from chat.tests.factories import pdf_bytes
from chat.tests.fake_llm import FakeLLM, Reply
from docuchat.testing import LiveApp, make_cast, start_live_app, stop_live_app

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "Pump manual. This manual explains how to install and service the P-100 pump.",
    "Maintenance: replace the P-100 impeller seal every 2,000 operating hours.",
]
ANSWER = ["Replace ", "the ", "seal ", "every ", "2,000 ", "hours ", "[1]."]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveApp, FakeLLM]]:
    fake = FakeLLM(default=Reply(tokens=ANSWER, delay=0.02)).start()
    make_cast()  # acme (member@acme.test is a member) and globex
    env = {
        "OPENAI_API_KEY": f"sk-test-{fake.port}",
        "OPENAI_BASE_URL": fake.url,
        "DATA_DIR": str(tmp_path / "d"),
    }
    app = start_live_app(tmp_path, worker=True, extra_env=env)
    try:
        yield app, fake
    finally:
        stop_live_app(app)
        fake.stop()


def call(app: LiveApp, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    """One HTTP request as the v1 client makes it: JSON in (or multipart bytes), JSON out."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    if isinstance(body, dict):
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(app.url + path, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sign_in(app: LiveApp, email: str) -> str:
    status, body = call(app, "POST", "/v1/auth/request-code", {"email": email})
    assert status == 200, body
    code = re.findall(r"\b(\d{6})\b", app.emails()[-1])[-1]
    status, body = call(app, "POST", "/v1/auth/verify-code", {"email": email, "code": code})
    assert status == 200 and body["token_type"] == "bearer", body
    return body["access_token"]


def upload(app: LiveApp, token: str, title: str) -> dict:
    pdf = SimpleUploadedFile("p100.pdf", pdf_bytes(PAGES), content_type="application/pdf")
    multipart = encode_multipart(BOUNDARY, {"file": pdf, "title": title})
    headers = {"Authorization": f"Bearer {token}", "X-Tenant-ID": "acme", "Content-Type": MULTIPART_CONTENT}
    status, body = call(app, "POST", "/v1/files", multipart, **headers)
    assert status == 202, body
    return body


def wait_until_ready(app: LiveApp, token: str, file_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = call(
            app, "GET", f"/v1/files/{file_id}", Authorization=f"Bearer {token}", **{"X-Tenant-ID": "acme"}
        )
        assert status == 200 and body["status"] != "failed", body
        if body["status"] == "ready":
            return body
        assert time.monotonic() < deadline, f"the file was not ready in {timeout}s: {body}"
        time.sleep(0.3)


def chat_socket(app: LiveApp, token: str, tenant: str = "acme") -> ClientConnection:
    """As the original clients connect: the token in the query, no Origin header, no cookie."""
    url = app.url.replace("http://", "ws://") + f"/ws/chat?token={token}&tenant={tenant}"
    return connect(url, open_timeout=10)


def exchange(ws: ClientConnection, message: dict) -> list[dict]:
    ws.send(json.dumps(message))
    frames = [json.loads(ws.recv(timeout=30))]
    while frames[-1]["type"] not in ("end", "error"):
        frames.append(json.loads(ws.recv(timeout=30)))
    return frames


def test_a_v1_client_signs_in_uploads_waits_chats_and_reads_usage(server, tmp_path: Path) -> None:
    app, fake = server
    token = sign_in(app, "member@acme.test")
    auth = {"Authorization": f"Bearer {token}", "X-Tenant-ID": "acme"}

    uploaded = upload(app, token, "P-100 pump manual")
    assert (uploaded["title"], uploaded["status"]) == ("P-100 pump manual", "queued")
    ready = wait_until_ready(app, token, uploaded["id"])
    assert ready["chunks"] >= 1

    with chat_socket(app, token) as ws:
        first = exchange(ws, {"message": "How often do I replace the P-100 impeller seal?"})
        session_id = first[0]["session_id"]
        second = exchange(ws, {"message": "And the impeller itself?", "session_id": session_id})

    assert first[0] == {"type": "start", "session_id": session_id}
    assert "".join(f["token"] for f in first[1:-1]) == "".join(ANSWER)
    end = first[-1]
    assert end["type"] == "end" and end["usage"]["total_tokens"] > 0
    assert end["sources"] and all(s["document"] == uploaded["id"] for s in end["sources"])
    assert second[0]["session_id"] == session_id and second[-1]["type"] == "end"
    assert len(fake.chats) == 2

    status, usage = call(app, "GET", "/v1/usage", **auth)
    assert status == 200
    chat_tokens = end["usage"]["total_tokens"] + second[-1]["usage"]["total_tokens"]
    assert usage["tokens_24h"] >= chat_tokens and usage["tokens_7d"] == usage["tokens_24h"]
    log = (tmp_path / "server.log").read_text()
    assert "/ws/chat?token=[redacted]&tenant=acme" in log and token not in log  # no credential in logs


def test_a_v1_client_is_refused_other_workspaces_bad_tokens_and_after_logging_out_everywhere(server) -> None:
    app, _ = server
    token = sign_in(app, "member@acme.test")

    status, body = call(app, "GET", "/v1/usage", Authorization=f"Bearer {token}", **{"X-Tenant-ID": "globex"})
    assert (status, body["code"]) == (404, "not_found")
    status, body = call(
        app, "GET", "/v1/usage", Authorization="Bearer not-a-token", **{"X-Tenant-ID": "acme"}
    )
    assert (status, body["code"]) == (401, "unauthorized")
    with chat_socket(app, token, tenant="globex") as ws:
        assert json.loads(ws.recv(timeout=10)) == {
            "type": "error",
            "message": "No such workspace.",
            "code": "not_found",
        }
        with pytest.raises(Exception, match="4404"):
            ws.recv(timeout=10)

    with chat_socket(app, token) as ws:
        assert exchange(ws, {"message": "Hello?"})[-1]["type"] == "end"
        # Logged out everywhere from another device; the push cannot reach this server's process
        # from the test's, so the check the next message makes refuses it.
        end_all_sessions(User.objects.get(email="member@acme.test"))
        refused = exchange(ws, {"message": "Still there?"})
        assert refused == [
            {"type": "error", "message": "You no longer have access to this workspace.", "code": "forbidden"}
        ]
        with pytest.raises(Exception, match="4403"):
            ws.recv(timeout=10)
    status, body = call(app, "GET", "/v1/usage", Authorization=f"Bearer {token}", **{"X-Tenant-ID": "acme"})
    assert (status, body["code"]) == (401, "unauthorized")


def test_a_fresh_server_serves_the_docs_and_health(server) -> None:
    app, _ = server
    status, schema = call(app, "GET", "/v1/openapi.json")
    assert status == 200 and "/v1/files" in schema["paths"]
    with urllib.request.urlopen(app.url + "/docs", timeout=10) as response:  # noqa: S310
        html = response.read().decode()
    asset = re.search(r'src="(/static/ninja/swagger-ui-bundle[^"]*\.js)"', html).group(1)
    with urllib.request.urlopen(app.url + asset, timeout=10) as response:  # noqa: S310
        assert response.status == 200 and b"SwaggerUIBundle" in response.read()
    status, health = call(app, "GET", "/healthz")
    assert status in (200, 503) and "checks" in health
