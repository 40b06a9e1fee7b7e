"""The server logs each request once (it used to print every access line twice)."""

import time
import urllib.request
from pathlib import Path

import pytest

from docuchat.testing import start_live_app, stop_live_app

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
