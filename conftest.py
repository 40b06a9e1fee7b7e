import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import (
    BASE_DIR,
    Cast,
    LiveApp,
    browser_pages,
    chromium_path,
    make_cast,
    start_live_app,
    stop_live_app,
)


def pytest_configure(config: pytest.Config) -> None:
    """Tests close every connection after use (CONN_MAX_AGE 0, not the app's 60): a connection kept
    alive by a worker thread would outlive the session and block dropping the test database."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings: SettingsWrapper) -> None:
    """In-process tests use the in-memory channel layer. The database-backed one would keep a
    connection pool to the test database past the test (blocking its drop at the end); the
    live-app tests, whose server and worker are separate processes, cross processes for real."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


@pytest.fixture
def live_app(transactional_db: None, tmp_path: Path) -> Iterator[LiveApp]:
    """The production server (docuchat.serve) serving the test database, so the browser sees what
    the test wrote (committed)."""
    app = start_live_app(tmp_path)
    yield app
    stop_live_app(app)


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[object]:
    if not chromium_path():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but Chromium was not found.")
        pytest.skip("Chromium not found: install it with `apt-get install chromium` to run browser tests.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    artifacts = BASE_DIR / "test-artifacts"
    try:
        for page in browser_pages(artifacts):
            yield page
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                artifacts.mkdir(exist_ok=True)
                page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
            # Connections opened while Playwright's event loop runs live in that loop's context:
            # close them before it stops, or they outlive the test and block dropping the test DB.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
