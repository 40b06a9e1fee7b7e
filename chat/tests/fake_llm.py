"""A local OpenAI-compatible server, so that tests and benchmarks run the real `openai` client.

It serves, on 127.0.0.1 and a free port, from its own thread (or process, see `main`):
- POST /v1/chat/completions, streamed as server-sent events like OpenAI's: a role chunk, one chunk
  per token, a finish chunk, then (with stream_options.include_usage) a usage chunk and [DONE].
- POST /v1/embeddings, with the offline embedder's vectors (so retrieval behaves as offline).

Chat requests take scripted behaviours in order, then `default`:
    Reply(tokens=[...], delay=0.0, usage=(prompt, completion))
    Fail(status=500, message="...")          an HTTP error before anything is streamed
    Break(after=3, message="...")            `after` tokens, then an error event mid-stream
    Stall(seconds)                           nothing at all for `seconds` (timeouts)
"""

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TOKENS = ["The ", "answer ", "is ", "in ", "the ", "handbook ", "[1]", "."]


@dataclass
class Reply:
    tokens: Sequence[str] = tuple(DEFAULT_TOKENS)
    delay: float = 0.0
    usage: tuple[int, int] | None = None  # default: (41 + words in the prompt, number of tokens)


@dataclass
class Fail:
    status: int = 500
    message: str = "The server had an error while processing your request."


@dataclass
class Break:
    after: int = 3
    message: str = "The model crashed mid-answer."
    tokens: Sequence[str] = tuple(DEFAULT_TOKENS)


@dataclass
class Stall:
    seconds: float = 5.0


Behaviour = Reply | Fail | Break | Stall


@dataclass
class Seen:
    """What the server saw of one chat request."""

    body: dict[str, Any]
    completed: bool = False  # streamed to the end
    aborted: bool = False  # the client went away mid-stream


@dataclass
class FakeLLM:
    default: Behaviour = field(default_factory=Reply)
    host: str = "127.0.0.1"
    port: int = 0
    chats: list[Seen] = field(default_factory=list)
    embeddings: int = 0
    embedding_delay: float = 0.0  # seconds before each embeddings answer
    embedding_status: int = 200  # anything else: embeddings requests fail with it
    _script: list[Behaviour] = field(default_factory=list)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *behaviours: Behaviour) -> "FakeLLM":
        self._script.extend(behaviours)
        return self

    def next_behaviour(self) -> Behaviour:
        return self._script.pop(0) if self._script else self.default

    # --- running it -------------------------------------------------------------------
    def start(self) -> "FakeLLM":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The fake LLM server did not start.")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self.serve(ready))

    async def serve(self, ready: threading.Event | None = None) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self.handle, self.host, self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        if ready:
            ready.set()
        await self._stopped.wait()
        server.close()
        for writer in list(self._writers):  # keep-alive connections would hold wait_closed()
            writer.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    # --- HTTP ---------------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self.one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client left, or the server is stopping
        finally:
            self._writers.discard(writer)
            writer.close()

    async def one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; True to keep the connection for another."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = json.loads(await reader.readexactly(int(headers.get("content-length", 0))) or b"{}")
        if path.endswith("/embeddings"):
            await asyncio.sleep(self.embedding_delay)
            if self.embedding_status != 200:
                await self.send_json(
                    writer, self.embedding_status, {"error": {"message": "Embeddings are down."}}
                )
                return True
            await self.send_json(writer, 200, self.embed(body))
            return True
        if path.endswith("/chat/completions"):
            return await self.chat(body, writer)
        await self.send_json(writer, 404, {"error": {"message": f"No route {path}"}})
        return True

    async def send_json(self, writer: asyncio.StreamWriter, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        head = (
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n"
            "retry-after-ms: 1\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        await writer.drain()

    def embed(self, body: dict[str, Any]) -> dict[str, Any]:
        from documents.embeddings import OfflineEmbedder

        self.embeddings += 1
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        embedder = OfflineEmbedder(int(body.get("dimensions") or 512))
        data = [
            {"object": "embedding", "index": i, "embedding": embedder.vector(t)} for i, t in enumerate(texts)
        ]
        tokens = sum(len(t.split()) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return {"object": "list", "data": data, "model": body.get("model", ""), "usage": usage}

    # --- chat ---------------------------------------------------------------------------
    async def chat(self, body: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        seen = Seen(body=body)
        self.chats.append(seen)
        behaviour = self.next_behaviour()
        if isinstance(behaviour, Stall):
            await asyncio.sleep(behaviour.seconds)
            return False
        if isinstance(behaviour, Fail):
            await self.send_json(writer, behaviour.status, {"error": {"message": behaviour.message}})
            return True
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        try:
            await self.stream(body, behaviour, writer)
            seen.completed = isinstance(behaviour, Reply)
        except ConnectionError:
            seen.aborted = True
        return False

    async def stream(
        self, body: dict[str, Any], behaviour: Reply | Break, writer: asyncio.StreamWriter
    ) -> None:
        model = body.get("model", "")
        tokens = list(behaviour.tokens)
        delay = behaviour.delay if isinstance(behaviour, Reply) else 0.0
        await self.event(writer, chunk(model, {"role": "assistant", "content": ""}))
        for i, token in enumerate(tokens):
            if isinstance(behaviour, Break) and i == behaviour.after:
                await self.event(writer, {"error": {"message": behaviour.message, "type": "server_error"}})
                return
            if delay:
                await asyncio.sleep(delay)
            await self.event(writer, chunk(model, {"content": token}))
        await self.event(writer, chunk(model, {}, finish="stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = behaviour.usage or (41 + prompt_words(body), len(tokens))
            await self.event(writer, usage_chunk(model, *usage))
        writer.write(b"data: [DONE]\n\n")
        await writer.drain()

    async def event(self, writer: asyncio.StreamWriter, data: dict[str, Any]) -> None:
        if writer.is_closing():
            raise ConnectionResetError
        writer.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        await writer.drain()


def prompt_words(body: dict[str, Any]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


def chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(model: str, prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def main() -> None:
    """Run it as a process: `python -m chat.tests.fake_llm --port 8765 --tokens 50 --rate 50`."""
    import argparse
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
    django.setup()
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tokens", type=int, default=50, help="tokens per answer")
    parser.add_argument("--rate", type=float, default=0, help="tokens per second (0: as fast as possible)")
    args = parser.parse_args()
    words = [f"word{i} " for i in range(args.tokens)]
    fake = FakeLLM(default=Reply(tokens=words, delay=1 / args.rate if args.rate else 0.0), port=args.port)
    print(f"fake LLM on http://127.0.0.1:{args.port}/v1", flush=True)
    asyncio.run(fake.serve())


if __name__ == "__main__":
    main()
