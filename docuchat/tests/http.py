"""A small cookie-keeping HTTP client for tests against a real server (daphne), from any source
address: Linux routes all of 127.0.0.0/8 to this machine, so 127.0.0.2 can play a proxy."""

import http.client
import re
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
