"""The Python CPU of one chat turn, step by step: what each question costs a web process's GIL.

Runs the turn's database side (chat.service: open_turn, prepare, finish) in this process for 180
members of the bench tenants, one after another, on the --chunks database of retrieval_data.py,
with the fake OpenAI-compatible model (embeddings and chat) in a process of its own. Prints the
CPU time of this thread per turn (time.thread_time, which other processes' load skews little),
and of each step inside it (steps nest: open_turn includes still_allowed, assistant_for, ...).

    .venv/bin/python bench/turn_cost.py [--chunks 100000] [--port 0]
"""

import argparse
import collections
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=100_000)
parser.add_argument("--port", type=int, default=0, help="the fake model's port (default: a free one)")
ARGS = parser.parse_args()
if not ARGS.port:
    with socket.socket() as probe:  # a free port (Django is not set up yet)
        probe.bind(("127.0.0.1", 0))
        ARGS.port = probe.getsockname()[1]
os.environ["OPENAI_API_KEY"] = "sk-bench"
os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{ARGS.port}/v1"
retrieval_data.setup(ARGS.chunks)

from django.test import Client  # noqa: E402

from chat import callers, retrieval, service  # noqa: E402
from documents import embeddings  # noqa: E402
from tenants.models import Membership  # noqa: E402

SPENT: collections.Counter[str] = collections.Counter()
DATABASE: collections.Counter[str] = collections.Counter()
STEPS = [
    (service, "open_turn"), (service, "prepare"), (service, "finish"), (service, "reserve_budget"),
    (service, "build_prompt"), (callers.MemberCaller, "still_allowed"),
    (callers.MemberCaller, "assistant_for"), (callers.MemberCaller, "check_rate"),
    (retrieval, "query_model"), (retrieval, "hybrid_search"),
    (retrieval, "load_hits"), (embeddings.OpenAIEmbedder, "embed"),
]  # fmt: skip


def timed(owner: object, name: str) -> None:
    inner = getattr(owner, name)

    def step(*args: object, **kwargs: object) -> object:
        started, database = time.thread_time(), backend_cpu()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[name] += time.thread_time() - started
            DATABASE[name] += backend_cpu() - database

    setattr(owner, name, step)


BACKEND: list[int] = []  # the pid of the PostgreSQL backend serving this process's connection


def backend_cpu() -> float:
    """CPU seconds of that backend so far (a local server: /proc)."""
    from django.db import connection

    if not BACKEND:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            BACKEND.append(cursor.fetchone()[0])
    fields = Path(f"/proc/{BACKEND[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_turn(caller: callers.MemberCaller) -> None:
    turn = service.open_turn(caller, service.Ask(question="What about term12 and term99?"), time.monotonic())
    service.finish(turn, service.Outcome(content="An answer."), service.prepare(turn))


def main() -> None:
    retrieval_data.ensure(ARGS.chunks)
    members = Membership.objects.filter(tenant__slug__startswith="bench-").select_related("tenant", "user")
    asking = []
    for membership in members.order_by("tenant_id", "role")[:200]:
        client = Client()
        client.force_login(membership.user)
        asking.append(callers.MemberCaller(membership, client.cookies["sessionid"].value))
    for owner, name in STEPS:
        timed(owner, name)
    model = [sys.executable, "-m", "chat.tests.fake_llm", "--port", str(ARGS.port)]
    fake = subprocess.Popen(model, cwd=Path(__file__).resolve().parent.parent)
    try:
        time.sleep(2)  # listening
        for caller in asking[:20]:  # warm: connections, caches, imports
            one_turn(caller)
        SPENT.clear()
        DATABASE.clear()
        started, cpu, database = time.perf_counter(), time.thread_time(), backend_cpu()
        for caller in asking[20:]:
            one_turn(caller)
        turns = len(asking) - 20
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
        database = backend_cpu() - database
    finally:
        fake.terminate()
        fake.wait(10)
    per_turn = f"{cpu / turns * 1000:.2f} ms per turn (wall {wall / turns * 1000:.1f} ms)"
    print(f"{turns} turns: Python CPU {per_turn}; PostgreSQL CPU {database / turns * 1000:.2f} ms per turn")
    print("  " + steps(SPENT, turns))
    print("PostgreSQL CPU per turn, by step (rough: 10 ms clock ticks)")
    print("  " + steps(DATABASE, turns))


def steps(spent: collections.Counter[str], turns: int) -> str:
    return ", ".join(f"{name} {seconds / turns * 1000:.2f}" for name, seconds in spent.most_common())


if __name__ == "__main__":
    main()
