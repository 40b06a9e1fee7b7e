"""A local OpenAI-compatible embeddings server for tests: scripted replies, a request log, delays,
errors. (The chat completions, streamed, are chat/tests/fake_llm.py's: tests and benchmarks.)

The tests drive the real openai client against it (no network, no key)::

    with FakeOpenAI() as server, override_settings(OPENAI_API_KEY="test", OPENAI_BASE_URL=server.base_url):
        server.queue("/v1/embeddings", Reply(status=429), Reply())  # a 429, then a normal answer
        ...
        assert len(server.requests_to("/v1/embeddings")) == 2

Each request is answered by, in order:
1. the next Reply queued for its path (`queue`): a status, a JSON body, headers, a delay before
   answering; a Reply without a body at status 200 takes the route's default body;
2. else the handler set for the path (`route(path, handler)`, handler(request) -> Reply);
3. else the built-in defaults: /v1/embeddings (deterministic vectors of the requested
   `dimensions`, float or base64 encoded, with token usage).
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


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    delay: float = 0.0  # seconds before the answer starts (longer than the client's timeout: a timeout)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


Handler = Callable[[Recorded], Reply]


class FakeOpenAI:
    def __init__(self, *, dimensions: int = 1536) -> None:
        self.dimensions = dimensions
        self.requests: list[Recorded] = []
        self._queues: dict[str, deque[Reply]] = {}
        self._routes: dict[str, Handler] = {EMBEDDINGS: self.embeddings}
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
        if reply.status == 200 and reply.json is None and handler:
            return Reply(reply.status, handler(request).json, reply.delay, reply.headers)
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
                self._send_json(reply)
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

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the request log is `server.requests`

    return Handler


def _retry_headers(reply: Reply) -> dict[str, str]:
    if reply.status in (429, 500, 502, 503, 504) and "retry-after-ms" not in reply.headers:
        return {"retry-after-ms": "5", **reply.headers}
    return reply.headers
