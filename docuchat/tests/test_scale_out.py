"""Scale-out on one machine: two web processes and a worker on Redis, behind nginx.

Real processes, as production runs them: uvicorn (docuchat.serve) twice, `db_worker`, Debian's
nginx with deploy/nginx's config, the local Redis under a key prefix of this run's own (nothing
else in Redis is touched), all on the test database. Marked slow; CI runs it (.ci/run installs
nginx).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from websockets.sync.client import ClientConnection, connect

from docuchat.testing import (
    BASE_DIR,
    Cast,
    Proxy,
    database_url,
    free_port,
    make_cast,
    nginx_path,
    server_command,
    start_nginx,
    stop_processes,
    wait_healthy,
)
from documents.models import Document
from documents.tests import pdfs

REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        nginx_path() is None and not os.environ.get("CI"),
        reason="nginx is not installed (apt-get install nginx)",
    ),
    pytest.mark.skipif(
        # CI (.ci/run sets REQUIRE_BROWSER) starts Redis: there it must answer.
        not (os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER")) and not redis_answers(),
        reason=f"Redis does not answer at {REDIS_URL} (apt-get install redis-server, or SCALE_OUT_REDIS_URL)",
    ),
]
RATE = 4  # chat messages per person per minute, in this cluster
FINISHED = ('data-status="complete"', 'data-status="failed"', "alert-error")


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    webs: list[str]  # each web process's own URL
    proxy: Proxy
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--interval",
            "0.2",
        ]
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(cmd, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scale-out")
    prefix = f"docuchat-test-{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "DEBUG": "false",
        "EMAIL_TO_LOGS_ALLOWED": "true",  # sign-in codes go to files, read by the test
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions this test signs are checked with it
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1",
        "DATA_DIR": str(tmp / "data"),
        "STATIC_ROOT": str(settings.STATIC_ROOT),
        "OPENAI_API_KEY": "",
        "RATE_LIMIT_PER_MINUTE": str(RATE),
        "LOGIN_CODE_RATE_PER_IP": "3/h",
        "DOCUMENT_LEASE_SECONDS": "2",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    ports = [free_port(), free_port()]
    webs = [spawn(server_command(port), env, tmp / f"web-{i}.log") for i, port in enumerate(ports)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for i, url_ in enumerate(urls):
        wait_healthy(url_, webs, tmp / f"web-{i}.log", timeout=60)
    proxy = start_nginx(tmp / "nginx", ports)
    running = Cluster(tmp, env, urls, proxy, processes=[proxy.process, *webs])
    running.start_worker()
    yield running
    stop_processes([*running.workers, *running.processes])
    forget_keys(prefix)


def forget_keys(prefix: str) -> None:
    """Delete this run's keys (and only them) from the shared Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)


@pytest.fixture
def cast(cluster: Cluster) -> Cast:
    return make_cast()


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket(base: str, path: str, cookie: str) -> ClientConnection:
    ws_url = base.replace("http://", "ws://") + path
    headers = {"Origin": base, "Cookie": f"sessionid={cookie}"}
    return connect(ws_url, additional_headers=headers, open_timeout=10)


def frames_until(ws: ClientConnection, done: Callable[[str], bool], timeout: float = 60) -> list[str]:
    frames: list[str] = []
    deadline = time.monotonic() + timeout
    while not frames or not done(frames[-1]):
        frames.append(str(ws.recv(timeout=max(deadline - time.monotonic(), 0.1))))
    return frames


def upload(base: str, cookie: str, name: str, data: bytes) -> None:
    """POST a PDF as the browser does, to `base` (one web process, or nginx)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    body = encode_multipart(BOUNDARY, {"files": [SimpleUploadedFile(name, data, "application/pdf")]})
    page = urllib.request.urlopen(  # noqa: S310 (our own server)
        urllib.request.Request(f"{base}/t/acme/documents/", headers={"Cookie": f"sessionid={cookie}"}),  # noqa: S310
        timeout=30,
    )
    csrf = page.headers.get_all("Set-Cookie")[0].split("csrftoken=", 1)[1].split(";", 1)[0]
    headers = {
        "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "HX-Request": "true",
        "Content-Type": MULTIPART_CONTENT,
        "Origin": base,
    }
    request = urllib.request.Request(f"{base}/t/acme/documents/", data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        assert "uploaded, queued" in response.read().decode()


def wait_for(condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def ask(base: str, cookie: str, question: str) -> str:
    with socket(base, "/ws/t/acme/chat/", cookie) as ws:
        ws.send(json.dumps({"action": "ask", "message": question}))
        frames = frames_until(ws, lambda f: any(mark in f for mark in FINISHED))
    return frames[-1]


def healthz(base: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_it_shows_progress_of_an_upload_to_one_process_on_a_socket_held_by_the_other(
    cluster: Cluster, cast: Cast
) -> None:
    cookie = session_cookie(cast.member)
    with socket(cluster.webs[1], "/ws/t/acme/documents/", cookie) as ws:
        upload(cluster.webs[0], cookie, "manual.pdf", pdfs.text_pdf(6))
        document = Document.objects.get()
        frames = frames_until(ws, lambda f: 'data-status="ready"' in f)
    assert any(f"doc-{document.public_id}-status" in f and 'data-status="processing"' in f for f in frames)
    assert f"doc-{document.public_id}-status" in frames[-1]


def test_it_answers_a_chat_through_either_process_and_through_nginx(cluster: Cluster, cast: Cast) -> None:
    cookie = session_cookie(cast.owner)
    upload(cluster.proxy.url, cookie, "handbook.pdf", pdfs.text_pdf(3, seed=2))
    wait_for(lambda: Document.objects.filter(status="ready").exists(), what="the document to be ready")
    question = f"What does {pdfs.page_text(2, seed=2).split()[3]} mean?"
    for base in (*cluster.webs, cluster.proxy.url):
        last = ask(base, cookie, question)
        assert 'data-status="complete"' in last, (base, last[:500])


def test_it_counts_a_rate_limit_across_both_processes(cluster: Cluster, cast: Cast) -> None:
    cookie = session_cookie(cast.member)
    answers = [ask(cluster.webs[i % 2], cookie, f"Question {i}?") for i in range(RATE + 1)]
    assert all("alert-error" not in a or "messages in the last minute" not in a for a in answers[:RATE])
    assert f"You have sent {RATE} messages in the last minute" in answers[RATE]


def request_code(base: str, client_ip: str) -> int:
    """Ask for a sign-in code at `base` as the client `client_ip` (its X-Forwarded-For)."""
    page = urllib.request.urlopen(f"{base}/login/", timeout=10)  # noqa: S310 (our own server)
    csrf = page.headers.get_all("Set-Cookie")[0].split("csrftoken=", 1)[1].split(";", 1)[0]
    body = f"csrfmiddlewaretoken={csrf}&email=someone{time.monotonic_ns()}%40acme.test".encode()
    headers = {
        "Cookie": f"csrftoken={csrf}",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": client_ip,
        "Origin": base,
    }
    request = urllib.request.Request(f"{base}/login/", data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_limits_sign_in_per_client_behind_nginx_across_both_processes(
    cluster: Cluster, cast: Cast
) -> None:
    # LOGIN_CODE_RATE_PER_IP is 3/h here. nginx (a trusted proxy) names the client; the count is
    # shared: requests alternate between the processes.
    first = [request_code(cluster.webs[i % 2], "203.0.113.7") for i in range(3)]
    assert 429 not in first
    assert request_code(cluster.proxy.url, "203.0.113.7") == 429
    assert request_code(cluster.proxy.url, "198.51.100.9") != 429


def test_it_replaces_a_worker_killed_mid_document(cluster: Cluster, cast: Cast) -> None:
    cookie = session_cookie(cast.owner)
    # The worker has just been started: healthy once it has sent its first heartbeat.
    wait_for(lambda: healthz(cluster.proxy.url)[0] == 200, timeout=30, what="the worker's first heartbeat")
    upload(cluster.webs[0], cookie, "long.pdf", pdfs.text_pdf(150, words=400))
    wait_for(lambda: Document.objects.filter(status="processing").exists(), what="processing")
    for worker in cluster.workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    # No worker: health says so (after three missed heartbeats), through nginx, from either process.
    wait_for(lambda: healthz(cluster.webs[1])[0] == 503, timeout=20, what="health to notice")
    status, body = healthz(cluster.proxy.url)
    assert (status, body["failing"]) == (503, ["worker"])
    assert "details" not in body
    cluster.start_worker()
    wait_for(lambda: Document.objects.filter(status="ready").exists(), timeout=120, what="the re-run")
    document = Document.objects.get()
    assert document.chunks.count() == document.chunks_total
    assert len(set(document.chunks.values_list("ordinal", flat=True))) == document.chunks_total
    assert healthz(cluster.proxy.url)[0] == 200
