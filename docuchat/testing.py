"""The shared test base: a cast of tenants and people, a real server, and a real browser."""

import asyncio
import contextlib
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


SERVERS = ("uvicorn", "granian", "daphne")


def server_command(port: int, server: str = "uvicorn", host: str = "127.0.0.1") -> list[str]:
    """The command that serves the app on `port`: production's (docuchat.serve), or another
    ASGI server for the benchmarks that compare them."""
    app = "docuchat.asgi:application"
    if server == "uvicorn":
        return [sys.executable, "-m", "docuchat.serve", "--host", host, "--port", str(port)]
    if server == "granian":
        return [sys.executable, "-m", "granian", "--interface", "asgi", "--host", host, "--port", str(port),
                "--loop", "uvloop", "--no-access-log", app]  # fmt: skip
    if server == "daphne":
        return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), app]
    raise ValueError(f"unknown server {server!r}; choose from {', '.join(SERVERS)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveApp:
    """A real server (production's, or `server`) and optionally a worker, on the test database."""

    url: str
    outbox: Path
    processes: list[subprocess.Popen[bytes]]

    def emails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.outbox.glob("*.log"), key=os.path.getmtime)]


def start_live_app(
    tmp: Path, *, worker: bool = False, extra_env: dict[str, str] | None = None, server: str = "uvicorn"
) -> LiveApp:
    port = free_port()
    outbox = tmp / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"filemail://{outbox}",
        "DEBUG": "true",
        "EMAIL_TO_LOGS_ALLOWED": "true",  # codes go to the outbox files, also with DEBUG off
        "DJANGO_SETTINGS_MODULE": "docuchat.settings",
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    cmd = server_command(port, server)
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
    wait_healthy(app.url, procs, tmp / "server.log", path="/livez")
    return app


def wait_healthy(
    url: str, processes: list[subprocess.Popen[bytes]], log: Path, timeout: float = 30, path: str = "/livez"
) -> None:
    """Wait for `url` + `path` to answer 200; on failure stop `processes` and show the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            stop_processes(processes)
            raise RuntimeError(f"a server process exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as resp:  # noqa: S310
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


@dataclass
class Oversized:
    """How a server answered a request body larger than it should accept."""

    status: int | None  # None: the connection was cut before any answer arrived
    sent: int  # body bytes the client got out before the answer (or the cut)
    seconds: float
    peak_rss_mb: float  # the server process's peak resident memory (VmHWM) afterwards


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def send_oversized(
    url: str, path: str, total: int, *, chunked: bool, server_pid: int, headers: str = ""
) -> Oversized:
    """POST `total` bytes to `path` in 1 MiB pieces, declared up front (Content-Length) or not
    (chunked), and stop as soon as the server answers or hangs up."""
    import select
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    piece = b"x" * (1024 * 1024)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{length}\r\n"
        f"Content-Type: application/octet-stream\r\n{headers}\r\n"
    ).encode()
    sent, answer, started = 0, b"", time.perf_counter()
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head)
        try:
            while sent < total:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered (or closed): stop sending
                frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                sock.sendall(frame)
                sent += len(piece)
            if chunked and sent >= total:
                sock.sendall(b"0\r\n\r\n")
            answer = sock.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            with contextlib.suppress(OSError):
                answer = sock.recv(65536)
    seconds = time.perf_counter() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return Oversized(status, sent, seconds, peak_rss_mb(server_pid))


NGINX_TEMPLATE = BASE_DIR / "deploy" / "nginx" / "docuchat.conf.template"
NGINX_MAIN = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/docuchat.conf;
}}
"""


def nginx_path() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@dataclass
class Proxy:
    """nginx in front of some web processes, as a child process with its own config and port."""

    url: str
    process: subprocess.Popen[bytes]
    log_dir: Path


def start_nginx(log_dir: Path, upstream_ports: list[int], *, upload_mb: int | None = None) -> Proxy:
    """Debian's nginx with the production config (deploy/nginx), on a free port of its own."""
    import string

    nginx = nginx_path()
    if nginx is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx (.ci/run does).")
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = " ".join(f"server 127.0.0.1:{p};" for p in upstream_ports)
    conf = string.Template(NGINX_TEMPLATE.read_text()).safe_substitute(
        DOCUCHAT_LISTEN=f"127.0.0.1:{port}",
        DOCUCHAT_UPSTREAM=servers,
        DOCUCHAT_STATIC_ROOT=str(settings.STATIC_ROOT),
        DOCUCHAT_UPLOAD_MB=str(upload_mb or settings.MAX_UPLOAD_REQUEST_MB),
    )
    (log_dir / "docuchat.conf").write_text(conf)
    (log_dir / "nginx.conf").write_text(NGINX_MAIN.format(tmp=log_dir))
    log = open(log_dir / "nginx.out", "wb")  # noqa: SIM115 (closed with the process)
    cmd = [nginx, "-p", str(log_dir), "-c", str(log_dir / "nginx.conf")]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{(log_dir / 'nginx.out').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return Proxy(url, proc, log_dir)
        except OSError:
            time.sleep(0.05)
    stop_processes([proc])
    raise RuntimeError(f"nginx did not listen on {port}")


@dataclass
class S3Server:
    """moto in server mode: a real S3 HTTP endpoint, in a child process, with a bucket."""

    endpoint: str
    bucket: str
    process: subprocess.Popen[bytes]

    def settings(self) -> dict[str, Any]:
        """The settings that put documents in this bucket (as settings.py does from the env)."""
        return {
            "STORAGES": {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}},
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_S3_SIGNATURE_VERSION": "s3v4",
            "AWS_S3_MAX_MEMORY_SIZE": 2 * 1024 * 1024,
            "AWS_S3_FILE_OVERWRITE": False,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_QUERYSTRING_EXPIRE": 60,
        }

    def env(self) -> dict[str, str]:
        """The same, as a server process's environment."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    def keys(self) -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return sorted(item["Key"] for item in found)


def start_s3(log_dir: Path, bucket: str = "docuchat-test") -> S3Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(log_dir / "moto.log", "wb")  # noqa: SIM115 (closed with the process)
    moto = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    server = S3Server(f"http://127.0.0.1:{port}", bucket, proc)
    wait_healthy(server.endpoint, [proc], log_dir / "moto.log", timeout=60, path="/")
    server.client().create_bucket(Bucket=bucket)
    return server


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


@dataclass
class AsgiAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    read: int  # how many pieces of the request's body the app asked for


def call_asgi(
    app: Any,
    method: str,
    path: str,
    pieces: list[bytes] | None = None,
    *,
    headers: dict[str, str] | None = None,
    declared: int | None = None,
    query: bytes = b"",
) -> AsgiAnswer:
    """One HTTP request straight into the ASGI `app` (no server): the body as `pieces`, with a
    Content-Length of `declared`, or chunked when it is None."""
    pieces = pieces or []
    sent: list[dict[str, Any]] = []
    given = [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if declared is not None:
        given.append((b"content-length", str(declared).encode()))
    elif pieces:
        given.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": given, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(pieces) or (read == 0 and not pieces):
            read += 1
            body = pieces[read - 1] if pieces else b""
            return {"type": "http.request", "body": body, "more_body": read < len(pieces)}
        await asyncio.sleep(3600)  # the client waits for the answer
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return AsgiAnswer(
        status=start["status"],
        headers={k.decode().lower(): v.decode() for k, v in start["headers"]},
        body=b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
        read=min(read, len(pieces)),
    )
