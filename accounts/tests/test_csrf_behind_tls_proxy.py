"""Behind a proxy that terminates TLS, form posts pass CSRF, through real requests to the server.

The browser is on https://docs.example.com; the proxy forwards plain HTTP with the original Host
and X-Forwarded-Proto: https. With SECURE_PROXY_SSL_HEADER Django knows the request was HTTPS, so
the browser's Origin matches; without it, Django compared https://docs.example.com with
http://docs.example.com and refused the sign-in form (403).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from docuchat.testing import LiveApp, start_live_app, stop_live_app
from docuchat.tests.live_client import HttpClient

SITE = "https://docs.example.com"
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "csrf-proxy-test-" + "k" * 40,
    "ALLOWED_HOSTS": "docs.example.com,127.0.0.1",
    "EMAIL_TO_LOGS_ALLOWED": "true",  # the test reads the sign-in email from a file
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "600",
}
VIA_PROXY = {
    "Host": "docs.example.com",
    "X-Forwarded-Proto": "https",
    "Origin": SITE,
    "Referer": SITE + "/login/",
}


def serve(tmp_path: Path, **env: str) -> LiveApp:
    return start_live_app(tmp_path, extra_env={**PRODUCTION, **env})


@pytest.fixture
def behind_proxy(transactional_db: None, tmp_path: Path) -> Iterator[LiveApp]:
    app = serve(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    yield app
    stop_live_app(app)


def test_it_accepts_a_form_post_forwarded_by_a_tls_proxy(behind_proxy: LiveApp) -> None:
    client = HttpClient(behind_proxy.url)
    response = client.post_form("/login/", {"email": "someone@acme.test"}, VIA_PROXY)
    assert response.status == 302 and response.headers["location"] == "/login/code/"
    assert "max-age=600" in client.get("/login/", VIA_PROXY).headers["strict-transport-security"]


def test_it_redirects_plain_http_to_https(behind_proxy: LiveApp) -> None:
    response = HttpClient(behind_proxy.url).get("/login/", {"Host": "docs.example.com"})
    assert response.status == 301 and response.headers["location"] == SITE + "/login/"


def test_it_refused_the_same_post_without_the_proxy_header_setting(
    transactional_db: None, tmp_path: Path
) -> None:
    app = serve(tmp_path, SECURE_SSL_REDIRECT="false")
    try:
        response = HttpClient(app.url).post_form("/login/", {"email": "someone@acme.test"}, VIA_PROXY)
        assert response.status == 403  # refused by the CSRF check: no code was sent
        assert app.emails() == []
    finally:
        stop_live_app(app)
