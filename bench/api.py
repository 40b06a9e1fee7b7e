"""The REST API's cost beside the WebSocket chat's, on one server process (uvicorn, as production).

1. First token: the same questions asked alternately through the staff chat's WebSocket and
   through POST /api/v1/chat with `"stream": true` (Server-Sent Events), each on a connection
   already open (the socket's handshake, or the TCP connection, is not counted), the fake
   OpenAI-compatible model answering at once. Client-side milliseconds from sending the question to
   the first piece of the answer, and the server's own `Message.first_token_ms`. Target: the SSE
   figure at most 1.2x the WebSocket's.
2. Throughput: non-streaming POST /api/v1/chat for a short answer (`--tokens`, 5), `--concurrency`
   clients on keep-alive connections, for `--requests` requests: requests per second.

    .venv/bin/python bench/api.py [--chunks 10000] [--questions 100] [--requests 300] [--concurrency 8]
        [--ports FIRST-LAST] [--settle 0.05] [--profile FILE]

`--profile FILE` samples the server process with py-spy during the first-token run (both doors;
summarise with bench/profile_summary.py, e.g. `--match django/core/handlers`).
"""

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=10_000)
parser.add_argument("--questions", type=int, default=100)
parser.add_argument("--requests", type=int, default=300)
parser.add_argument("--concurrency", type=int, default=8)
parser.add_argument("--tokens", type=int, default=5, help="tokens per answer in the throughput run")
parser.add_argument("--ports", default="", help="FIRST-LAST: the servers' ports (default: any free ones)")
parser.add_argument("--settle", type=float, default=0.05, help="seconds between two questions (0: none)")
parser.add_argument("--profile", type=Path, help="py-spy stacks of the server during the first-token run")
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

import chat_harness  # noqa: E402
from _setup import percentile, report  # noqa: E402

from accounts.models import User  # noqa: E402
from api import keys  # noqa: E402
from api.models import ApiKey  # noqa: E402
from chat.models import Message  # noqa: E402
from documents.models import Chunk  # noqa: E402
from tenants.models import Tenant  # noqa: E402

WARM_UP = 10


def ports_from(spec: str) -> None:
    """Start the fake model and the server on ports of FIRST-LAST (a machine shared with others)."""
    import socket

    first, last = (int(p) for p in spec.split("-"))
    given: set[int] = set()  # a port handed out may not be bound yet

    def free_port() -> int:
        for port in [p for p in range(first, last + 1) if p not in given] + sorted(given):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                given.add(port)
                return port
        raise SystemExit(f"no free port in {spec}")

    chat_harness.free_port = free_port


Asked = tuple[Tenant, User, str]


def questions(count: int) -> list[Asked]:
    """One question per member: about two terms of a random note of their own tenant."""
    rng = random.Random(7)
    tenants = list(Tenant.objects.filter(slug__startswith="bench-").order_by("id"))
    asked = []
    for i in range(count):
        tenant = tenants[i % len(tenants)]
        user = User.objects.get(email=f"member{tenant.slug.removeprefix('bench-')}@bench.test")
        notes = Chunk.objects.filter(tenant=tenant).order_by("id")
        note = notes[rng.randrange(max(1, min(900, notes.count())))].text
        terms = [w for w in note.replace(".", "").split() if w.startswith("term")] or ["term1", "term2"]
        asked.append((tenant, user, f"What about {terms[0]} and {terms[-1]}?"))
    return asked


def api_keys(tenants: list[Tenant]) -> dict[int, str]:
    """A fresh chat key per tenant, with a rate limit the benchmark cannot reach."""
    ApiKey.objects.filter(tenant__slug__startswith="bench-", name="bench").delete()
    return {t.pk: keys.create(t, None, "bench", ["chat"], rate_per_minute=10**6).secret for t in tenants}


class Http:
    """A keep-alive HTTP/1.1 connection, just enough for the API's JSON and SSE answers."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def open(self) -> "Http":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)
        return self

    def send(self, key: str, body: dict) -> None:
        data = json.dumps(body).encode()
        head = (
            f"POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)

    async def head(self) -> tuple[int, dict[str, str]]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        return int(lines[0].split(" ")[1]), headers

    async def json(self) -> tuple[int, dict]:
        status, headers = await self.head()
        if "content-length" in headers:
            return status, json.loads(await self.reader.readexactly(int(headers["content-length"])))
        body = b""
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, json.loads(body)
            body += (await self.reader.readexactly(size + 2))[:-2]

    def close(self) -> None:
        self.writer.close()


async def sse_first_token(port: int, key: str, question: str) -> chat_harness.Chat:
    chat = chat_harness.Chat()
    conn = await Http(port).open()
    try:
        chat.sent = time.perf_counter()
        conn.send(key, {"question": question, "stream": True})
        status, _ = await conn.head()
        if status != 200:
            chat.status = f"http {status}"
            return chat
        seen = b""
        while b"event: done" not in seen and b"event: error" not in seen:
            piece = await conn.reader.read(65536)
            if not piece:
                break
            if not chat.deltas and b"event: delta" in seen + piece:
                chat.deltas.append(time.perf_counter())
            seen += piece
        chat.finished = time.perf_counter()
        chat.status = "complete" if b"event: done" in seen else "error"
    finally:
        conn.close()
    return chat


async def ws_first_token(port: int, slug: str, cookie: str, question: str) -> chat_harness.Chat:
    ws = await chat_harness.open_socket(port, slug, cookie)
    try:
        return await chat_harness.ask(ws, question)
    finally:
        await ws.close()


async def first_tokens(port: int, asked: list[Asked], cookies: list[str], secrets: dict[int, str]) -> tuple:
    """Alternately, so that both doors see the same load and caches; each question after the
    server has finished with the one before (`--settle`): a closed socket's teardown (the channel
    layer's, the turn's last save) otherwise ran during the next SSE question, and an HTTP
    request's during the next socket's, which are not the same work."""
    ws, sse = [], []
    for (tenant, _, question), cookie in zip(asked, cookies, strict=True):
        ws.append(await ws_first_token(port, tenant.slug, cookie, question))
        await asyncio.sleep(ARGS.settle)
        sse.append(await sse_first_token(port, secrets[tenant.pk], question))
        await asyncio.sleep(ARGS.settle)
    return ws, sse


async def throughput(port: int, asked: list[Asked], secrets: dict[int, str]) -> tuple[float, list[int]]:
    queue: asyncio.Queue[Asked] = asyncio.Queue()
    for item in asked:
        queue.put_nowait(item)
    statuses: list[int] = []

    async def client() -> None:
        conn = await Http(port).open()
        try:
            while not queue.empty():
                tenant, _, question = queue.get_nowait()
                conn.send(secrets[tenant.pk], {"question": question})
                status, _ = await conn.json()
                statuses.append(status)
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(ARGS.concurrency)))
    return time.perf_counter() - started, statuses


def main() -> None:
    if ARGS.ports:
        ports_from(ARGS.ports)
    retrieval_data.ensure(ARGS.chunks)
    asked = questions(ARGS.questions + WARM_UP)
    tenants = list(Tenant.objects.filter(slug__startswith="bench-").order_by("id"))
    secrets = api_keys(tenants)
    cookies = chat_harness.session_cookies([user for _, user, _ in asked])
    Message.objects.filter(session__tenant__slug__startswith="bench-").delete()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))

    servers = chat_harness.start(tokens=20, rate=0, log_dir=log_dir / "first-token")
    if ARGS.profile:
        servers.profile(servers.processes[-1].pid, ARGS.profile)
    try:
        ws, sse = asyncio.run(first_tokens(servers.port, asked, cookies, secrets))
    finally:
        servers.stop()
    ws, sse = ws[WARM_UP:], sse[WARM_UP:]
    answers = Message.objects.filter(role=Message.Role.ASSISTANT, first_token_ms__isnull=False).order_by(
        "created"
    )
    ws_server = [
        float(m) for m in answers.filter(session__user__isnull=False).values_list("first_token_ms", flat=True)
    ]
    sse_server = [
        float(m)
        for m in answers.filter(session__api_key__isnull=False).values_list("first_token_ms", flat=True)
    ]
    ws_ms = [c.first_token_ms for c in ws if c.first_token_ms is not None]
    sse_ms = [c.first_token_ms for c in sse if c.first_token_ms is not None]
    print(f"\n== first token, {ARGS.chunks:,} chunks, zero-latency model, one uvicorn process ==")
    print(f"answered: WebSocket {len(ws_ms)} of {len(ws)}, SSE {len(sse_ms)} of {len(sse)} "
          f"(statuses: {sorted({c.status for c in ws + sse})})")  # fmt: skip
    report("WebSocket, client", ws_ms, "send -> first delta, socket already open")
    report("SSE POST /api/v1/chat, client", sse_ms, "send -> first delta event, connection open")
    report("WebSocket, server", ws_server[WARM_UP:], "Message.first_token_ms")
    report("SSE, server", sse_server[WARM_UP:], "Message.first_token_ms (after key auth)")
    for p in (50, 95):
        ratio = percentile(sse_ms, p) / percentile(ws_ms, p)
        print(f"SSE / WebSocket p{p}: {ratio:.2f}x   (target <= 1.2x)")

    Message.objects.filter(session__tenant__slug__startswith="bench-").delete()
    many = questions(ARGS.requests)
    servers = chat_harness.start(tokens=ARGS.tokens, rate=0, log_dir=log_dir / "throughput")
    try:
        asyncio.run(throughput(servers.port, many[: ARGS.concurrency * 2], secrets))  # warm up
        seconds, statuses = asyncio.run(throughput(servers.port, many, secrets))
    finally:
        servers.stop()
    ok = statuses.count(200)
    print(f"\n== non-streaming POST /api/v1/chat, {ARGS.tokens}-token answers, {ARGS.concurrency} clients ==")
    print(f"{len(statuses)} requests in {seconds:.2f} s: {len(statuses) / seconds:.1f} requests/s "
          f"({ok} answered 200; others: {sorted(set(statuses) - {200}) or 'none'})")  # fmt: skip
    print(f"logs: {log_dir}")


if __name__ == "__main__":
    main()
