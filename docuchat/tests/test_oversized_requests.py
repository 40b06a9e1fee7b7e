"""A real server process refuses oversized bodies without reading them: its memory stays flat."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from docuchat.testing import LiveApp, Oversized, peak_rss_mb, send_oversized, start_live_app, stop_live_app

MB = 1024 * 1024
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveApp]:
    env = {"MAX_REQUEST_BODY_KB": "1024", "MAX_FILE_SIZE_MB": "5", "MAX_UPLOAD_REQUEST_MB": "20"}
    app = start_live_app(tmp_path, extra_env=env)
    yield app
    stop_live_app(app)


def post(server: LiveApp, path: str, total: int, *, chunked: bool) -> tuple[Oversized, float]:
    pid = server.processes[0].pid
    before = peak_rss_mb(pid)
    return send_oversized(server.url, path, total, chunked=chunked, server_pid=pid), before


def test_it_refuses_a_declared_1000_mb_sign_in_post_before_reading_it(server: LiveApp) -> None:
    result, before = post(server, "/login/", 1000 * MB, chunked=False)
    assert result.status == 413
    assert result.sent < 50 * MB  # what the sockets' buffers took before the answer came back
    assert result.peak_rss_mb - before < 20


def test_it_stops_reading_a_streamed_body_at_the_small_limit(server: LiveApp) -> None:
    result, before = post(server, "/login/", 1000 * MB, chunked=True)
    assert result.status in (413, None)  # answered, or cut off (a reset may beat the answer)
    assert result.sent < 50 * MB
    assert result.peak_rss_mb - before < 20


def test_it_stops_reading_an_upload_at_its_request_limit(server: LiveApp) -> None:
    result, before = post(server, "/t/acme/documents/", 1000 * MB, chunked=True)
    assert result.status in (413, None)
    assert result.sent < 20 * MB + 50 * MB
    assert result.peak_rss_mb - before < 30
