from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

# The chat tests' fixtures: a private cache per test (rate-limit counters), the fake model server.
from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401
from documents.tests.conftest import DUMMY


@pytest.fixture(autouse=True)
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Uploaded files go to the test's own folder, so it can check what is left there."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def tasks_not_run(settings: SettingsWrapper) -> None:
    """Uploads are queued for indexing, not indexed, in these tests (the contract test indexes)."""
    settings.TASKS = DUMMY
