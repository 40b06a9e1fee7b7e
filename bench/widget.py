"""The website widget under load, and its first-token overhead beside the staff chat's.

1. Concurrency, as bench/chat_concurrency.py does for members: 200 website visitors (two on each
   of the 100 bench tenants' assistants) open the widget's socket with an embed token, say hello
   (each is issued a visitor), then ask at the same instant, on one server process, the fake model
   streaming 50 tokens at 50/s. Prints how many answers completed, the gap between consecutive
   pieces as the clients saw them (p50/p95/max; target p95 < 100 ms) and the time to the first
   piece.
2. Overhead: with a zero-latency fake model, one question at a time, alternating a member on the
   staff chat and a visitor on the widget (same tenants, same questions): the server's own
   receipt -> first delta (Message.first_token_ms) and the client's send -> first piece, and the
   widget's over the staff chat's. Target: no more than 1.2x.

All visitors come from 127.0.0.1, so the assistants' per-IP limit is raised for the run (and
put back after); every other check (embedding, visitor, per-visitor and per-conversation
counts, budgets) runs as in production.

    .venv/bin/python bench/widget.py [--visitors 200] [--tokens 50] [--rate 50] [--questions 60]
"""

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=100_000)
parser.add_argument("--visitors", type=int, default=200)
parser.add_argument("--tokens", type=int, default=50)
parser.add_argument("--rate", type=float, default=50)
parser.add_argument("--questions", type=int, default=60, help="overhead: questions per door")
parser.add_argument("--port", type=int, default=8130, help="the web process (the fake model: the next)")
parser.add_argument("--skip-concurrency", action="store_true")
parser.add_argument("--skip-overhead", action="store_true")
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

import chat_harness  # noqa: E402
from _setup import percentile, report  # noqa: E402
from chat_wsclient import Closed, WebSocket  # noqa: E402

from accounts.models import User  # noqa: E402
from assistants.models import Assistant  # noqa: E402
from chat.models import ChatSession, Message  # noqa: E402
from documents.models import Chunk  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from widget.embedding import embed_token  # noqa: E402
from widget.models import Visitor  # noqa: E402

SITE = "https://bench.example"
WARM_UP = 10


def question_for(tenant: Tenant, rng: random.Random) -> str:
    note = Chunk.objects.filter(tenant=tenant).order_by("id")[rng.randrange(900)].text
    terms = [w for w in note.replace(".", "").split() if w.startswith("term")]
    return f"What about {terms[0]} and {terms[1]}?"


def assistants() -> list[Assistant]:
    """The bench tenants' default assistants, live on SITE with room for the whole run."""
    found = list(
        Assistant.objects.filter(tenant__slug__startswith="bench-", is_default=True)
        .select_related("tenant")
        .order_by("tenant_id")
    )
    Assistant.objects.filter(pk__in=[a.pk for a in found]).update(
        allowed_origins=[SITE], widget_enabled=True, visitor_daily_messages=10_000,
        conversation_messages=10_000, ip_minute_messages=100_000,
    )  # fmt: skip
    return found


def put_back(found: list[Assistant]) -> None:
    defaults = {f: Assistant._meta.get_field(f).default for f in ("visitor_daily_messages",
                "conversation_messages", "ip_minute_messages")}  # fmt: skip
    Assistant.objects.filter(pk__in=[a.pk for a in found]).update(allowed_origins=[], **defaults)


async def open_widget(port: int, assistant: Assistant, token: str) -> WebSocket:
    headers = {"Origin": f"http://127.0.0.1:{port}"}  # the iframe's own origin: DocuChat's
    path = f"/ws/widget/{assistant.public_id}/?embed={token}"
    ws = await WebSocket.connect("127.0.0.1", port, path, headers)
    await ws.send(json.dumps({"action": "hello", "visitor": "", "conversation": ""}))
    greeting = json.loads(await ws.recv())
    if greeting.get("type") != "hello":
        raise RuntimeError(f"no hello: {greeting}")
    return ws


async def ask_widget(
    ws: WebSocket, question: str, start: asyncio.Event | None = None, timeout: float = 120
) -> chat_harness.Chat:
    chat = chat_harness.Chat()
    if start is not None:
        await start.wait()
    chat.sent = time.perf_counter()
    try:
        await ws.send(json.dumps({"action": "ask", "message": question, "conversation": ""}))
        async with asyncio.timeout(timeout):
            while chat.finished is None:
                reply = json.loads(await ws.recv())
                now = time.perf_counter()
                if reply["type"] == "delta":
                    chat.deltas.append(now)
                elif reply["type"] == "done":
                    chat.finished, chat.status = now, reply["answer"]["status"]
                elif reply["type"] in ("failed", "error"):
                    chat.finished, chat.status, chat.error = now, "refused", reply.get("message", "")
    except (TimeoutError, Closed, ConnectionError, asyncio.IncompleteReadError) as exc:
        chat.status, chat.error = "error", repr(exc)
    return chat


async def concurrent(port: int, asked: list[tuple[Assistant, str]]) -> tuple[list, float]:
    tokens = {a.pk: embed_token(a, SITE) for a, _ in asked}
    sockets = await asyncio.gather(*(open_widget(port, a, tokens[a.pk]) for a, _ in asked))
    start = asyncio.Event()
    tasks = [asyncio.create_task(ask_widget(ws, q, start)) for ws, (_, q) in zip(sockets, asked, strict=True)]
    await asyncio.sleep(0.5)  # every task is waiting at the start line
    began = time.perf_counter()
    start.set()
    chats = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(ws.close() for ws in sockets))
    return chats, elapsed


def run_concurrency(found: list[Assistant]) -> None:
    rng = random.Random(9)
    asked = [(found[i % len(found)], "") for i in range(ARGS.visitors)]
    asked = [(a, question_for(a.tenant, rng)) for a, _ in asked]
    logs = Path(tempfile.mkdtemp(prefix="widget-concurrency-"))
    servers = chat_harness.start(tokens=ARGS.tokens, rate=ARGS.rate, log_dir=logs,
                                 ports=(ARGS.port + 1, ARGS.port))  # fmt: skip
    try:
        chats, elapsed = asyncio.run(concurrent(servers.port, asked))
    finally:
        servers.stop()
    completed = [c for c in chats if c.status == "complete"]
    gaps = [g for c in completed for g in c.gaps]
    firsts = [c.first_token_ms for c in completed if c.first_token_ms is not None]
    print(f"\n== {len(chats)} simultaneous widget visitors, one uvicorn process, fake model "
          f"{ARGS.tokens} tokens at {ARGS.rate:g}/s ==")  # fmt: skip
    print(f"completed {len(completed)}   failed {len(chats) - len(completed)}   "
          f"pieces received {sum(len(c.deltas) for c in chats):,}   wall time {elapsed:.1f} s")  # fmt: skip
    for chat in [c for c in chats if c.status != "complete"][:5]:
        print("  not complete:", chat.status, chat.error[:200])
    if gaps:
        report("gap between pieces", gaps, f"max {max(gaps):.0f} ms; target p95 < 100 ms")
        report("send -> first piece", firsts, "includes queueing behind the other visitors")
        per_chat = [(c.finished - c.sent) * 1000 for c in completed]
        print(f"{'send -> answer complete':<28} p50 {percentile(per_chat, 50):8.0f} ms   "
              f"p95 {percentile(per_chat, 95):8.0f} ms   ({ARGS.tokens} at {ARGS.rate:g}/s)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.2f}   server logs: {logs}")


async def alternate(port: int, asked: list[tuple[Assistant, str, str]]) -> dict[str, list]:
    seen: dict[str, list] = {"staff": [], "widget": []}
    for assistant, cookie, question in asked:
        staff = await chat_harness.open_socket(port, assistant.tenant.slug, cookie)
        seen["staff"].append(await chat_harness.ask(staff, question))
        await staff.close()
        visitor = await open_widget(port, assistant, embed_token(assistant, SITE))
        seen["widget"].append(await ask_widget(visitor, question))
        await visitor.close()
    return seen


def run_overhead(found: list[Assistant]) -> None:
    rng = random.Random(5)
    count = ARGS.questions + WARM_UP
    chosen = [found[i % len(found)] for i in range(count)]
    members = [
        User.objects.get(email=f"member{a.tenant.slug.removeprefix('bench-')}@bench.test") for a in chosen
    ]
    cookies = chat_harness.session_cookies(members)
    asked = [(a, c, question_for(a.tenant, rng)) for a, c in zip(chosen, cookies, strict=True)]
    Message.objects.filter(session__tenant__slug__startswith="bench-").delete()
    logs = Path(tempfile.mkdtemp(prefix="widget-overhead-"))
    servers = chat_harness.start(tokens=20, rate=0, log_dir=logs, ports=(ARGS.port + 1, ARGS.port))
    try:
        seen = asyncio.run(alternate(servers.port, asked))
    finally:
        servers.stop()
    answers = Message.objects.filter(role=Message.Role.ASSISTANT, session__tenant__slug__startswith="bench-")
    server = {
        "staff": list(answers.filter(session__user__isnull=False).order_by("created", "id")),
        "widget": list(answers.filter(session__visitor__isnull=False).order_by("created", "id")),
    }
    print(f"\n== first-token overhead, one question at a time, {ARGS.questions} per door after "
          f"{WARM_UP} to warm up, zero-latency model ==")  # fmt: skip
    medians = {}
    for door in ("staff", "widget"):
        done = [a for a in server[door] if a.status == Message.Status.COMPLETE][WARM_UP:]
        own = [float(a.first_token_ms) for a in done if a.first_token_ms is not None]
        client = [c.first_token_ms for c in seen[door][WARM_UP:] if c.first_token_ms is not None]
        statuses = sorted({c.status for c in seen[door]})
        report(f"{door}: receipt -> first delta", own, f"server-side ({len(own)} answers; {statuses})")
        report(f"{door}: send -> first piece", client, "as the client sees it (loopback)")
        medians[door] = (
            percentile(own, 50),
            percentile(own, 95),
            percentile(client, 50),
            percentile(client, 95),
        )
    s, w = medians["staff"], medians["widget"]
    ratio = f"p50 {w[0] / s[0]:6.2f} x   p95 {w[1] / s[1]:6.2f} x"
    print(f"{'widget / staff, server-side':<28} {ratio}   target <= 1.2x")
    print(f"{'widget / staff, client-side':<28} p50 {w[2] / s[2]:6.2f} x   p95 {w[3] / s[3]:6.2f} x")
    print(f"load average: {os.getloadavg()[0]:.2f}")


def main() -> None:
    retrieval_data.ensure(ARGS.chunks)
    found = assistants()
    try:
        ChatSession.objects.filter(tenant__slug__startswith="bench-").delete()
        Visitor.objects.filter(tenant__slug__startswith="bench-").delete()
        if not ARGS.skip_concurrency:
            run_concurrency(found)
        if not ARGS.skip_overhead:
            run_overhead(found)
    finally:
        put_back(found)


if __name__ == "__main__":
    main()
