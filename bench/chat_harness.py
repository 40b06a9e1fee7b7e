"""The real thing, for the chat benchmarks: the production server (or another, to compare) serving
the bench database, the fake OpenAI-compatible model (chat/tests/fake_llm.py) in a process of its
own, and signed-in sockets. With several processes, they share Redis (BENCH_REDIS_URL, by default
database 13 of the local Redis) and sit behind nginx with the production config.
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from chat_wsclient import Closed, WebSocket

from docuchat.testing import free_port, server_command, start_nginx, stop_processes, wait_healthy

BASE_DIR = Path(__file__).resolve().parent.parent
FINISHED = re.compile(r'data-status="(complete|failed|cancelled)"')


BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
BENCH_REDIS_PREFIX = "docuchat-bench"  # every key the benchmark's servers write; deleted after


@dataclass
class Servers:
    port: int
    processes: list[subprocess.Popen]
    profiler: subprocess.Popen | None = None

    def profile(self, pid: int, output: Path) -> None:
        """Sample `pid` with py-spy (its collapsed stacks to `output`) until stop()."""
        spy = Path(sys.executable).with_name("py-spy")
        cmd = [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--gil",
            "--output",
            str(output),
        ]
        self.profiler = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        time.sleep(1)  # attached

    def stop(self) -> None:
        if self.profiler is not None:
            self.profiler.send_signal(signal.SIGINT)
            self.profiler.wait(30)
        stop_processes(self.processes)
        forget_redis_keys()


def forget_redis_keys() -> None:
    """Delete the keys the benchmark wrote (and only those) from the shared Redis."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    for key in client.scan_iter(match=f"{BENCH_REDIS_PREFIX}*", count=1000):
        client.delete(key)


def start(
    *,
    tokens: int,
    rate: float,
    log_dir: Path,
    server: str = "uvicorn",
    processes: int = 1,
    redis: bool = False,
    ports: tuple[int, int] | None = None,
) -> Servers:
    """The fake model (`tokens` per answer at `rate` tokens/s, 0 for no delay), then `processes`
    web processes of `server`; several share Redis and are reached through nginx. `ports`: the
    fake model's and the (one) web process's, instead of free ones."""
    log_dir.mkdir(parents=True, exist_ok=True)
    llm_port = ports[0] if ports else free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "EMAIL_TO_LOGS_ALLOWED": "true",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
    }
    if processes > 1 or redis:
        env["REDIS_URL"] = BENCH_REDIS_URL
        env["REDIS_KEY_PREFIX"] = BENCH_REDIS_PREFIX
    llm = [sys.executable, "-m", "chat.tests.fake_llm", "--port", str(llm_port), "--tokens", str(tokens),
           "--rate", str(rate)]  # fmt: skip
    procs = [_spawn(llm, env, log_dir / "fake_llm.log")]
    web_ports = [ports[1]] if ports and processes == 1 else [free_port() for _ in range(processes)]
    for i, port in enumerate(web_ports):
        procs.append(_spawn(server_command(port, server), env, log_dir / f"web-{i}.log"))
    for i, port in enumerate(web_ports):
        wait_healthy(f"http://127.0.0.1:{port}", procs, log_dir / f"web-{i}.log", timeout=60, path="/livez")
    if processes == 1:
        return Servers(web_ports[0], procs)
    proxy = start_nginx(log_dir / "nginx", web_ports)
    return Servers(int(proxy.url.rsplit(":", 1)[1]), [proxy.process, *procs])


def use_ports(spec: str) -> None:
    """Start the fake model, the servers and nginx on ports of FIRST-LAST (a machine shared with others)."""
    import socket

    import docuchat.testing

    first, last = (int(p) for p in spec.split("-"))
    given: set[int] = set()  # a port handed out may not be bound yet

    def free_port() -> int:
        for port in [p for p in range(first, last + 1) if p not in given]:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                given.add(port)
                return port
        raise SystemExit(f"no free port in {spec}")

    docuchat.testing.free_port = free_port
    globals()["free_port"] = free_port


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def session_cookies(users: list) -> list[str]:
    """A signed-in session per user (written to the bench database)."""
    from django.test import Client

    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


@dataclass
class Chat:
    """What one client saw of one question: when it sent, when each piece arrived, how it ended."""

    sent: float = 0.0
    deltas: list[float] = field(default_factory=list)
    finished: float | None = None
    status: str = ""
    error: str = ""

    @property
    def gaps(self) -> list[float]:
        return [(b - a) * 1000 for a, b in zip(self.deltas, self.deltas[1:], strict=False)]

    @property
    def first_token_ms(self) -> float | None:
        return (self.deltas[0] - self.sent) * 1000 if self.deltas else None


async def open_socket(port: int, slug: str, cookie: str) -> WebSocket:
    headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"sessionid={cookie}"}
    return await WebSocket.connect("127.0.0.1", port, f"/ws/t/{slug}/chat/", headers)


async def ask(ws: WebSocket, question: str, start: asyncio.Event | None = None, timeout: float = 120) -> Chat:
    chat = Chat()
    if start is not None:
        await start.wait()
    chat.sent = time.perf_counter()
    try:
        await ws.send(json.dumps({"action": "ask", "message": question}))
        async with asyncio.timeout(timeout):
            while chat.finished is None:
                frame = await ws.recv()
                now = time.perf_counter()
                if frame.startswith('<span hx-swap-oob="beforeend:#body-'):
                    chat.deltas.append(now)
                elif match := FINISHED.search(frame):
                    chat.finished, chat.status = now, match.group(1)
                elif "alert-error" in frame:
                    chat.finished, chat.status, chat.error = now, "refused", frame[:300]
    except (TimeoutError, Closed, ConnectionError, asyncio.IncompleteReadError) as exc:
        chat.status, chat.error = "error", repr(exc)
    return chat
