"""A local OpenAI-compatible HTTP server for tests: scripted replies, a request log, delays, errors.

The tests drive the real openai client against it (no network, no key)::

    with FakeOpenAI() as server, override_settings(OPENAI_API_KEY="test", OPENAI_BASE_URL=server.base_url):
        server.queue("/v1/embeddings", Reply(status=429), Reply())  # a 429, then a normal answer
        ...
        assert len(server.requests_to("/v1/embeddings")) == 2

Each request is answered by, in order:
1. the next Reply queued for its path (`queue`): a status, a JSON body, headers, a delay before
   answering, or SSE events; a Reply without a body at status 200 takes the route's default body;
2. else the handler set for the path (`route(path, handler)`, handler(request) -> Reply);
3. else the built-in defaults: /v1/embeddings (deterministic vectors of the requested
   `dimensions`, float or base64 encoded, with token usage) and /v1/chat/completions (the
   `answer` text, streamed as SSE chunks when "stream" is true, with usage when asked for).
Error replies get OpenAI's error body and a tiny `retry-after-ms`, so SDK retries are quick.
"""

import base64
import hashlib
import json
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from docuchat.lib.tokens import count_tokens

EMBEDDINGS = "/v1/embeddings"
CHAT = "/v1/chat/completions"


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    delay: float = 0.0  # seconds before the answer starts (longer than the client's timeout: a timeout)
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Any] | None = None  # SSE: each item is sent as `data: <json>`; then `data: [DONE]`
    event_delay: float = 0.0  # seconds between SSE events


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


Handler = Callable[[Recorded], Reply]


class FakeOpenAI:
    def __init__(self, *, dimensions: int = 1536, answer: str = "This is a fake answer.") -> None:
        self.dimensions = dimensions
        self.answer = answer
        self.requests: list[Recorded] = []
        self._queues: dict[str, deque[Reply]] = {}
        self._routes: dict[str, Handler] = {EMBEDDINGS: self.embeddings, CHAT: self.chat}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- Control ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> "FakeOpenAI":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        serve = self._server.serve_forever
        threading.Thread(
            target=serve, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._queues.setdefault(path, deque()).extend(replies)

    def route(self, path: str, handler: Handler) -> None:
        self._routes[path] = handler

    def requests_to(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- Answering ---------------------------------------------------------------------
    def answer_for(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            queued = self._queues.get(request.path)
            reply = queued.popleft() if queued else None
        handler = self._routes.get(request.path)
        if reply is None:
            return handler(request) if handler else Reply(status=404)
        if reply.status == 200 and reply.json is None and reply.events is None and handler:
            default = handler(request)
            return Reply(
                reply.status, default.json, reply.delay, reply.headers, default.events, reply.event_delay
            )
        return reply

    def embeddings(self, request: Recorded) -> Reply:
        body = request.json or {}
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        size = int(body.get("dimensions") or self.dimensions)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": i, "embedding": _encode(fake_vector(str(text), size), as_base64)}
            for i, text in enumerate(texts)
        ]
        tokens = sum(count_tokens(str(text)) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return Reply(json={"object": "list", "data": data, "model": body.get("model", ""), "usage": usage})

    def chat(self, request: Recorded) -> Reply:
        body = request.json or {}
        model = body.get("model", "")
        prompt = sum(count_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
        completion = count_tokens(self.answer)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Reply(events=chat_chunks(model, self.answer, usage if include_usage else None))
        message = {"role": "assistant", "content": self.answer}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return Reply(json={**_completion_head(model, "chat.completion"), "choices": [choice], "usage": usage})


def chat_chunks(model: str, text: str, usage: dict[str, int] | None) -> list[dict[str, Any]]:
    """SSE chunks as OpenAI streams them: a role delta, one delta per word, a stop, then usage."""
    head = _completion_head(model, "chat.completion.chunk")

    def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    words = text.split(" ")
    pieces = [word if i == 0 else " " + word for i, word in enumerate(words)]
    events = [chunk({"role": "assistant", "content": ""}), *(chunk({"content": p}) for p in pieces)]
    events.append(chunk({}, "stop"))
    if usage is not None:
        events.append({**head, "choices": [], "usage": usage})
    return events


def fake_vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector for `text`."""
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % 32] ^ (i * 37)) % 255) / 127.0 - 1.0 for i in range(size)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [v / norm for v in raw]


def _encode(vector: list[float], as_base64: bool) -> Any:
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def _completion_head(model: str, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }


def _error_body(status: int) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_exceeded"}
    return {
        "error": {"message": f"Fake error {status}", "type": kinds.get(status, "server_error"), "code": None}
    }


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._answer(json.loads(raw) if raw else None)

        def _answer(self, body: Any) -> None:
            path = self.path.split("?", 1)[0]
            request = Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
            reply = server.answer_for(request)
            time.sleep(reply.delay)
            try:
                self._send_events(reply) if reply.events is not None else self._send_json(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout): nothing to answer

        def _send_json(self, reply: Reply) -> None:
            payload = (
                reply.json if reply.json is not None or reply.status < 400 else _error_body(reply.status)
            )
            data = json.dumps(payload).encode()
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **_retry_headers(reply)}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_events(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for event in [*(reply.events or []), "[DONE]"]:
                data = event if isinstance(event, str) else json.dumps(event)
                self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()
                time.sleep(reply.event_delay)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the request log is `server.requests`

    return Handler


def _retry_headers(reply: Reply) -> dict[str, str]:
    if reply.status in (429, 500, 502, 503, 504) and "retry-after-ms" not in reply.headers:
        return {"retry-after-ms": "5", **reply.headers}
    return reply.headers
