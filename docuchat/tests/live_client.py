"""A small cookie-keeping HTTP and WebSocket client for tests against a real server.

Requests can come from any source address: Linux routes all of 127.0.0.0/8 to this machine, so
127.0.0.2 can play a proxy."""

import base64
import contextlib
import http.client
import os
import re
import socket
import struct
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class HttpClient:
    base_url: str
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        url = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20, source_address=(self.source, 0))
        sent = {"Host": url.netloc, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode(errors="replace")
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        """POST a form as a browser would, with the CSRF token of a GET of `path` first."""
        page = self.get(path, headers)
        found = CSRF_INPUT.search(page.body)
        token = found.group(1) if found else self.cookies.get("csrftoken", "")
        body = urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        sent = {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base_url + path}
        return self.request("POST", path, body, {**sent, **(headers or {})})

    def upload(self, path: str, field: str, name: str, data: bytes) -> Response:
        """POST one file as multipart/form-data, with the CSRF cookie as its header (as htmx does)."""
        if "csrftoken" not in self.cookies:
            self.get(path)
        boundary = "----docuchat-test-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        body = head + data + f"\r\n--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "HX-Request": "true",
        }
        return self.request("POST", path, body, headers)

    def websocket(self, path: str) -> "WebSocket":
        url = urlsplit(self.base_url)
        headers = {"Origin": self.base_url, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        return WebSocket.connect(url.hostname or "", url.port or 80, path, headers)


class Closed(Exception):
    """The server closed the socket (or refused the handshake); args[0] says how."""


class WebSocket:
    """A minimal blocking WebSocket client (RFC 6455, text frames), as a browser's htmx ws extension."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    @classmethod
    def connect(cls, host: str, port: int, path: str, headers: dict[str, str]) -> "WebSocket":
        sock = socket.create_connection((host, port), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
                 *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        ws = cls(sock)
        response = ws._until(b"\r\n\r\n")
        status = response.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status:
            sock.close()
            raise Closed(status)
        return ws

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed("connection closed")
        self.buffer += chunk

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, 0x80 | size)
        else:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self, timeout: float = 20) -> str:
        """The next text message; Closed("<code>") when the server closes the socket."""
        self.sock.settimeout(timeout)
        first, second = self._exactly(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._exactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._exactly(8))
        payload = self._exactly(size)
        if first & 0x0F == 0x8:
            raise Closed(str(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else "")
        return payload.decode() if first & 0x0F == 0x1 else self.recv(timeout)

    def recv_until(self, text: str, timeout: float = 30) -> list[str]:
        """Messages until one contains `text` (all of them, that one last)."""
        deadline = time.monotonic() + timeout
        frames = [self.recv(timeout)]
        while text not in frames[-1]:
            frames.append(self.recv(max(deadline - time.monotonic(), 0.1)))
        return frames

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
