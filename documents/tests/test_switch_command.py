"""`manage.py reindex --switch / --status / --cancel`: a workspace's embedding model from the shell."""

from pytest_django.fixtures import Settings as SettingsWrapper

from chat.tests.factories import make_document
from docuchat.fake_openai import FakeOpenAI
from docuchat.testing import Cast
from documents import index
from documents.tests.test_commands import run


def test_it_switches_a_workspace_here_with_progress(
    cast: Cast, openai_settings: FakeOpenAI, settings: SettingsWrapper
) -> None:
    settings.OPENAI_API_KEY = ""
    make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    make_document(cast.acme, "Travel", ["Travel is reimbursed."])
    settings.OPENAI_API_KEY = "test-key"

    out, error = run("reindex", "--tenant", "acme", "--switch", "text-embedding-3-small:512")
    assert error is None, error
    assert (
        "acme: switching from offline-wordllama-v1 (512 dimensions)"
        " to text-embedding-3-small (512 dimensions)" in out
    )
    assert "2/2 documents re-embedded with text-embedding-3-small (512 dimensions)" in out
    assert out.rstrip().endswith("acme now uses text-embedding-3-small (512 dimensions).")
    assert index.current(cast.acme).store.model == "text-embedding-3-small"

    status, _ = run("reindex", "--status")
    assert "acme: text-embedding-3-small (512 dimensions)" in status


def test_it_says_what_is_wrong(cast: Cast) -> None:
    index.current(cast.acme)
    assert "need --tenant" in str(run("reindex", "--switch", "offline-wordllama-v1")[1])
    assert "not an embedding model this server allows" in str(
        run("reindex", "--tenant", "acme", "--switch", "text-embedding-3-small")[1]
    )
    assert "No switch is under way." in str(run("reindex", "--tenant", "acme", "--cancel")[1])


def test_it_shows_switches_under_way_and_cancels_them(cast: Cast, settings: SettingsWrapper) -> None:
    index.current(cast.acme)
    settings.OPENAI_API_KEY = "test-key"
    out, error = run("reindex", "--tenant", "acme", "--switch", "text-embedding-3-small", "--background")
    assert error is None and "Queued for the workers" in out
    status, _ = run("reindex", "--status")
    assert "acme: offline-wordllama-v1 (512 dimensions); switching: 0/0 documents re-embedded" in status
    settings.OPENAI_API_KEY = ""
    assert "NOT AVAILABLE" not in run("reindex", "--status")[0]
    out, error = run("reindex", "--tenant", "acme", "--cancel")
    assert error is None and "acme keeps offline-wordllama-v1 (512 dimensions)" in out
