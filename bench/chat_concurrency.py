"""200 simultaneous WebSocket chats on one server process, the fake model streaming 50 tokens/s.

Opens 200 signed-in sockets (two members in each of the 100 bench tenants) to one server process
(or, with --processes N, to nginx in front of N processes sharing Redis),
sends 200 questions at the same instant, and reads every streamed piece. Prints how many answers
completed and failed, the gap between consecutive pieces of an answer as the clients saw them
(p50/p95/max), and the time to the first piece. Target: all complete, p95 gap < 100 ms.

    .venv/bin/python bench/chat_concurrency.py [--chats 200] [--tokens 50] [--rate 50] [--processes 1]
        [--server uvicorn|granian|daphne] [--ports FIRST-LAST] [--profile FILE]
"""

import argparse
import asyncio
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
parser.add_argument("--chats", type=int, default=200)
parser.add_argument("--tokens", type=int, default=50)
parser.add_argument("--rate", type=float, default=50)
parser.add_argument(
    "--processes", type=int, default=1, help="web processes (several: behind nginx, on Redis)"
)
parser.add_argument("--server", default="uvicorn", help="uvicorn (production's), granian or daphne")
parser.add_argument("--redis", action="store_true", help="Redis even for one process (always with several)")
parser.add_argument("--ports", default="", help="FIRST-LAST: the servers' ports (default: any free ones)")
parser.add_argument(
    "--profile", type=Path, help="py-spy's collapsed stacks of the (first) web process to this file"
)
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

import chat_harness  # noqa: E402
from _setup import percentile, report  # noqa: E402

from accounts.models import User  # noqa: E402
from chat.models import ChatSession  # noqa: E402
from documents.models import Chunk  # noqa: E402
from tenants.models import Membership  # noqa: E402


def askers(count: int) -> list[tuple[str, User, str]]:
    """(tenant slug, user, question) for `count` members, two per tenant."""
    rng = random.Random(9)
    memberships = list(
        Membership.objects.filter(tenant__slug__startswith="bench-").select_related("tenant", "user")
        .order_by("tenant_id", "role")[:count]
    )  # fmt: skip
    result = []
    for m in memberships:
        note = Chunk.objects.filter(tenant=m.tenant).order_by("id")[rng.randrange(900)].text
        terms = [w for w in note.replace(".", "").split() if w.startswith("term")]
        result.append((m.tenant.slug, m.user, f"What about {terms[0]} and {terms[1]}?"))
    return result


async def run(
    port: int, asked: list[tuple[str, User, str]], cookies: list[str], connected=lambda: None
) -> tuple[list, float]:
    sockets = await asyncio.gather(
        *(
            chat_harness.open_socket(port, slug, cookie)
            for (slug, _, _), cookie in zip(asked, cookies, strict=True)
        )
    )
    connected()  # the profile, if any, covers the burst, not the sockets' connects
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(chat_harness.ask(ws, q, start))
        for ws, (_, _, q) in zip(sockets, asked, strict=True)
    ]
    await asyncio.sleep(0.5)  # every task is waiting at the start line
    began = time.perf_counter()
    start.set()
    chats = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(ws.close() for ws in sockets))
    return chats, elapsed


def web_cpu_seconds(processes: list) -> float:
    """User and system CPU seconds of the web processes and their children so far."""
    import psutil

    total = 0.0
    for proc in processes:
        tree = psutil.Process(proc.pid)
        for each in [tree, *tree.children(recursive=True)]:
            times = each.cpu_times()
            total += times.user + times.system
    return total


def main() -> None:
    retrieval_data.ensure(ARGS.chunks)
    if ARGS.ports:
        chat_harness.use_ports(ARGS.ports)
    asked = askers(ARGS.chats)
    cookies = chat_harness.session_cookies([user for _, user, _ in asked])
    ChatSession.objects.filter(tenant__slug__startswith="bench-").delete()
    logs = Path(tempfile.mkdtemp(prefix="chat-concurrency-"))
    servers = chat_harness.start(
        tokens=ARGS.tokens,
        rate=ARGS.rate,
        log_dir=logs,
        server=ARGS.server,
        processes=ARGS.processes,
        redis=ARGS.redis,
    )
    try:
        webs = servers.processes[-ARGS.processes :]
        model = servers.processes[-ARGS.processes - 1 : -ARGS.processes]  # the fake model, before them
        cpu_before, model_before = web_cpu_seconds(webs), web_cpu_seconds(model)

        burst_cpu_before = []

        def connected() -> None:
            burst_cpu_before.append(web_cpu_seconds(webs))
            if ARGS.profile:
                servers.profile(webs[0].pid, ARGS.profile)

        chats, elapsed = asyncio.run(run(servers.port, asked, cookies, connected))
        cpu_after = web_cpu_seconds(webs)
        cpu, burst_cpu = cpu_after - cpu_before, cpu_after - burst_cpu_before[0]
        model_cpu = web_cpu_seconds(model) - model_before
    finally:
        servers.stop()
    completed = [c for c in chats if c.status == "complete"]
    gaps = [g for c in completed for g in c.gaps]
    firsts = [c.first_token_ms for c in completed if c.first_token_ms is not None]
    shape = (
        f"one {ARGS.server} process"
        if ARGS.processes == 1
        else f"{ARGS.processes} {ARGS.server} processes behind nginx"
    )
    print(f"\n== {len(chats)} simultaneous chats, {shape}, fake model {ARGS.tokens} tokens "
          f"at {ARGS.rate:g}/s ==")  # fmt: skip
    print(f"completed {len(completed)}   failed {len(chats) - len(completed)}   "
          f"pieces received {sum(len(c.deltas) for c in chats):,}   wall time {elapsed:.1f} s")  # fmt: skip
    for chat in [c for c in chats if c.status != "complete"][:5]:
        print("  not complete:", chat.status, chat.error[:200])
    if gaps:
        report("gap between pieces", gaps, f"max {max(gaps):.0f} ms; target p95 < 100 ms")
        report("send -> first piece", firsts, "includes queueing behind the other 199")
        per_chat = [(c.finished - c.sent) * 1000 for c in completed]
        print(f"{'send -> answer complete':<28} p50 {percentile(per_chat, 50):8.0f} ms   "
              f"p95 {percentile(per_chat, 95):8.0f} ms   (50 tokens at 50/s take 1,000 ms)")  # fmt: skip
        last = max(firsts) / 1000
        rate = len(firsts) / last
        print(f"{'turns opened':<28} {rate:6.1f}/s in all, {rate / ARGS.processes:6.1f}/s per process "
              f"(the last first piece after {last:.1f} s)")  # fmt: skip
    print(f"{'web processes CPU':<28} {cpu:6.1f} s in all, {cpu / len(chats) * 1000:5.0f} ms per chat "
          f"(connect, open the turn, stream {ARGS.tokens} pieces): load-independent")  # fmt: skip
    print(f"{'  of which after connecting':<28} {burst_cpu:6.1f} s in all, "
          f"{burst_cpu / len(chats) * 1000:5.0f} ms per chat (open the turn, stream, save)")  # fmt: skip
    print(f"{'fake model CPU':<28} {model_cpu:6.1f} s in all, "
          f"{model_cpu / len(chats) * 1000:5.0f} ms per chat (the same cores, not DocuChat)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"server logs: {logs}")


if __name__ == "__main__":
    main()
