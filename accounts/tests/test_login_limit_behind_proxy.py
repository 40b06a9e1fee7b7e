"""The per-IP sign-in limit behind a reverse proxy, through real requests to a real server.

The server trusts one proxy, 127.0.0.2. Requests through it are limited per client,
named by X-Forwarded-For; requests from anywhere else are limited per peer address, whatever
X-Forwarded-For they send, so a client cannot dodge the limit by inventing addresses.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from docuchat.testing import LiveApp, start_live_app, stop_live_app
from docuchat.tests.live_client import HttpClient

PROXY = "127.0.0.2"
LIMIT = 3


@pytest.fixture
def app(transactional_db: None, tmp_path: Path) -> Iterator[LiveApp]:
    env = {
        "TRUSTED_PROXIES": PROXY,
        "LOGIN_CODE_RATE_PER_IP": f"{LIMIT}/h",
        "LOGIN_CODE_RATE_PER_EMAIL": "100/h",
    }
    live = start_live_app(tmp_path, extra_env=env)
    yield live
    stop_live_app(live)


def ask_code(app: LiveApp, source: str, forwarded_for: str, n: int) -> int:
    client = HttpClient(app.url, source=source)
    headers = {"X-Forwarded-For": forwarded_for}
    return client.post_form("/login/", {"email": f"person{n}@acme.test"}, headers).status


def test_it_limits_each_client_behind_a_trusted_proxy_separately(app: LiveApp) -> None:
    statuses = [ask_code(app, PROXY, "198.51.100.1", n) for n in range(LIMIT + 1)]
    assert statuses == [302] * LIMIT + [429]
    # Another client through the same proxy has its own limit: the proxy is not one global client.
    assert ask_code(app, PROXY, "198.51.100.2", 99) == 302
    # A client that forges an earlier hop is still known by the address the proxy saw.
    assert ask_code(app, PROXY, "203.0.113.50, 198.51.100.1", 98) == 429


def test_it_ignores_forwarded_for_from_an_untrusted_address(app: LiveApp) -> None:
    source = "127.0.0.3"  # not a trusted proxy: its X-Forwarded-For means nothing
    statuses = [ask_code(app, source, f"192.0.2.{n}", n) for n in range(LIMIT + 1)]
    assert statuses == [302] * LIMIT + [429]


def test_it_has_no_per_ip_limit_that_reads_the_peer_address_itself() -> None:
    """Every per-IP key comes from docuchat/lib/client_ip.py: no key="ip", no REMOTE_ADDR elsewhere."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    pattern = re.compile(r"""key=["'](user_or_)?ip["']|META(\[|\.get\()["']REMOTE_ADDR|scope\[["']client""")
    offenders = [
        path.relative_to(base).as_posix()
        for package in base.iterdir()
        if (package / "__init__.py").exists()
        for path in package.rglob("*.py")
        if "tests" not in path.parts and path.name != "client_ip.py" and pattern.search(path.read_text())
    ]
    assert offenders == []
