"""Server overhead to the first token, with a zero-latency fake model, at 100k chunks.

From the moment the consumer receives the question to the moment it has sent the first piece of
the answer to the socket (Message.first_token_ms, measured by the server itself): saving the
question, embedding it, hybrid retrieval, the prompt, the model request to a local OpenAI-compatible
server that answers at once, and the first fragment. Compared with the raw retrieval time (the
hybrid search alone) for the same questions. Target: p95 < 50 ms.

    .venv/bin/python bench/chat_overhead.py [--chunks 100000] [--questions 100]
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=100_000)
parser.add_argument("--questions", type=int, default=100)
ARGS = parser.parse_args()
retrieval_data.setup(ARGS.chunks)

import chat_harness  # noqa: E402
from _setup import percentile, report  # noqa: E402

from accounts.models import User  # noqa: E402
from chat.models import Message  # noqa: E402
from chat.retrieval import hybrid_search  # noqa: E402
from documents.embeddings import OfflineEmbedder  # noqa: E402
from documents.models import Chunk  # noqa: E402
from tenants.models import Tenant  # noqa: E402

WARM_UP = 10


def questions(count: int) -> list[tuple[Tenant, User, str]]:
    """One question per member: about two terms of a random note of their own tenant."""
    rng = random.Random(5)
    tenants = list(Tenant.objects.filter(slug__startswith="bench-").order_by("id"))
    asked = []
    for i in range(count):
        tenant = tenants[i % len(tenants)]
        user = User.objects.get(email=f"member{tenant.slug.removeprefix('bench-')}@bench.test")
        note = Chunk.objects.filter(tenant=tenant).order_by("id")[rng.randrange(900)].text
        terms = [w for w in note.replace(".", "").split() if w.startswith("term")]
        asked.append((tenant, user, f"What about {terms[0]} and {terms[1]}?"))
    return asked


async def ask_all(port: int, asked: list[tuple[Tenant, User, str]], cookies: list[str]) -> list:
    chats = []
    for (tenant, _, question), cookie in zip(asked, cookies, strict=True):
        ws = await chat_harness.open_socket(port, tenant.slug, cookie)
        chats.append(await chat_harness.ask(ws, question))
        await ws.close()
    return chats


def raw_retrieval(asked: list[tuple[Tenant, User, str]]) -> list[float]:
    embedder = OfflineEmbedder(retrieval_data.dimensions())  # what the fake server embeds with
    times = []
    for tenant, _, question in asked:
        vector = embedder.vector(question)
        started = time.perf_counter()
        hybrid_search(tenant, question, vector, store=retrieval_data.store())
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    retrieval_data.ensure(ARGS.chunks)
    asked = questions(ARGS.questions + WARM_UP)
    if not retrieval_data.scalar(f"SELECT count(*) FROM {retrieval_data.store().table}"):  # noqa: S608
        raise SystemExit("no chunks")
    cookies = chat_harness.session_cookies([user for _, user, _ in asked])
    Message.objects.filter(session__tenant__slug__startswith="bench-").delete()
    servers = chat_harness.start(tokens=20, rate=0, log_dir=Path(tempfile.mkdtemp(prefix="chat-overhead-")))
    try:
        chats = asyncio.run(ask_all(servers.port, asked, cookies))
    finally:
        servers.stop()
    answers = list(Message.objects.filter(role=Message.Role.ASSISTANT).order_by("created", "id"))
    done = [a for a in answers if a.status == Message.Status.COMPLETE and a.sources][WARM_UP:]
    overhead = [float(a.first_token_ms) for a in done]
    raw = raw_retrieval(asked[WARM_UP:])
    client = [c.first_token_ms for c in chats[WARM_UP:] if c.first_token_ms is not None]
    print(f"\n== server overhead to first token, {ARGS.chunks:,} chunks, zero-latency model ==")
    print(f"answered with sources: {len(done)} of {len(chats) - WARM_UP} (statuses: "
          f"{sorted({c.status for c in chats})})")  # fmt: skip
    report("receipt -> first delta sent", overhead, "server-side; target p95 < 50 ms")
    report("client send -> first delta", client, "as the browser sees it (loopback)")
    report("raw retrieval (hybrid)", raw, "the search alone, same questions")
    print(f"{'overhead / raw retrieval':<28} p50 {percentile(overhead, 50) / percentile(raw, 50):8.2f} x   "
          f"p95 {percentile(overhead, 95) / percentile(raw, 95):8.2f} x")  # fmt: skip


if __name__ == "__main__":
    main()
