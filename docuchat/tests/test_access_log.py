"""The server logs each request once (it used to print every access line twice), and Django's own
lines once too (a refused page printed its line twice with DEBUG on)."""

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from docuchat.testing import make_cast, start_live_app, stop_live_app

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_logs_each_request_once(tmp_path: Path) -> None:
    app = start_live_app(tmp_path)
    try:
        with urllib.request.urlopen(f"{app.url}/login/?once=1", timeout=10) as response:  # noqa: S310
            assert response.status == 200
        time.sleep(0.5)  # the log line is written after the response
    finally:
        stop_live_app(app)
    lines = [line for line in (tmp_path / "server.log").read_text().splitlines() if "/login/?once=1" in line]
    assert len(lines) == 1, lines
    assert '"GET /login/?once=1 HTTP/1.1" 200' in lines[0]


def test_it_logs_a_refused_page_once_without_a_traceback(tmp_path: Path) -> None:
    client = Client()
    client.force_login(make_cast().member)
    app = start_live_app(tmp_path)  # DEBUG on, as under ./dev run
    try:
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        request = urllib.request.Request(f"{app.url}/t/acme/settings/", headers={"Cookie": cookie})  # noqa: S310
        try:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
        except urllib.error.HTTPError as refused:
            assert refused.code == 403
        time.sleep(0.5)
    finally:
        stop_live_app(app)
    log = (tmp_path / "server.log").read_text()
    assert log.count("Forbidden (Permission denied): /t/acme/settings/") == 1, log
    assert "Traceback" not in log
