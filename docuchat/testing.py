"""The shared test base: a cast of tenants and people, a real server, and a real browser."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from accounts.models import User
from tenants.models import Membership, Tenant, create_tenant

BASE_DIR = Path(settings.BASE_DIR)
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Cast:
    """Two tenants and an outsider: every view test needs an 'other tenant' case."""

    acme: Tenant
    globex: Tenant
    owner: User  # owner of acme
    member: User  # member of acme
    other: User  # owner of globex only
    outsider: User  # signed up, in no tenant


def make_cast() -> Cast:
    owner = User.objects.for_email("owner@acme.test")
    other = User.objects.for_email("boss@globex.test")
    acme = create_tenant(name="Acme", slug="acme", owner=owner)
    globex = create_tenant(name="Globex", slug="globex", owner=other)
    member = User.objects.for_email("member@acme.test")
    Membership.objects.create(tenant=acme, user=member, role=Membership.Role.MEMBER)
    outsider = User.objects.for_email("nobody@elsewhere.test")
    return Cast(acme=acme, globex=globex, owner=owner, member=member, other=other, outsider=outsider)


SocketHeaders = list[tuple[bytes, bytes]]


def socket_headers(user: Any, origin: str = "http://127.0.0.1") -> SocketHeaders:
    """The headers of `user`'s browser opening a WebSocket (no cookie for None: anonymous).

    Call it from sync code: it signs the user in, which writes a session.
    """
    from django.test import Client

    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


def database_url() -> str:
    """A URL for the database the tests are using (the test database once it is set up)."""
    s = connection.settings_dict
    host = s.get("HOST") or ""
    auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s.get("PASSWORD") else "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{s['NAME']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveApp:
    """A real daphne server (and optionally a worker) on the test database."""

    url: str
    outbox: Path
    processes: list[subprocess.Popen[bytes]]

    def emails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.outbox.glob("*.log"), key=os.path.getmtime)]


def start_live_app(tmp: Path, *, worker: bool = False, extra_env: dict[str, str] | None = None) -> LiveApp:
    port = free_port()
    outbox = tmp / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"filemail://{outbox}",
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "docuchat.settings",
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "docuchat.asgi:application"]
    procs = [subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)]
    if worker:
        wcmd = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--interval",
            "0.2",
        ]
        wlog = open(tmp / "worker.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen(wcmd, cwd=BASE_DIR, env=env, stdout=wlog, stderr=subprocess.STDOUT))
    app = LiveApp(url=f"http://127.0.0.1:{port}", outbox=outbox, processes=procs)
    wait_healthy(app.url, procs, tmp / "server.log")
    return app


def wait_healthy(url: str, processes: list[subprocess.Popen[bytes]], log: Path, timeout: float = 30) -> None:
    """Wait for `url`/healthz to answer 200; on failure stop `processes` and show the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            stop_processes(processes)
            raise RuntimeError(f"a server process exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    stop_processes(processes)
    raise RuntimeError(f"{url} did not become healthy in {timeout}s:\n{log.read_text()}")


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        proc.terminate()
    for proc in processes:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def stop_live_app(app: LiveApp) -> None:
    stop_processes(app.processes)


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def browser_pages(artifacts: Path) -> Iterator[object]:
    """Yield a Playwright page in Debian's Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
