"""The system check and /healthz name every mismatch between the configured embedding models and
what the database holds, with its fix; search keeps working meanwhile."""

from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.retrieval import search
from chat.tests.factories import make_document
from docuchat.fake_openai import FakeOpenAI
from docuchat.heartbeat import beat
from docuchat.testing import Cast
from documents import index, switching
from documents.checks import check_embedding_models, embedding_problems
from documents.models import DocumentVectors, VectorStore


def test_it_reports_nothing_when_everything_matches(cast: Cast, client: Client) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    assert embedding_problems() == [] and check_embedding_models() == []
    assert "warnings" not in client.get("/healthz").json()


def test_it_names_workspaces_whose_model_the_server_no_longer_allows(
    cast: Cast, client: Client, settings: SettingsWrapper, openai_settings: FakeOpenAI
) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days."])  # on text-embedding-3-small
    settings.OPENAI_API_KEY = ""  # the key was removed

    [problem] = embedding_problems()
    assert problem.startswith(
        "Workspace acme uses The embedding model text-embedding-3-small (512 dimensions)"
    )
    assert "OPENAI_API_KEY is not set" in problem and "reindex --tenant acme --switch" in problem
    [warning] = check_embedding_models()
    assert warning.id == "documents.W001" and warning.msg == problem
    beat("worker-host:1", "*")  # the probe also wants a live worker
    with override_settings(DEBUG=True):
        body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["warnings"] == {"embeddings": [problem]}
    # In production the answer names the part only; the text (workspace names) is in the log.
    assert client.get("/healthz").json()["warnings"] == ["embeddings"]
    assert search(cast.acme, "refunds")[0].title == "Handbook"  # full-text search still answers


def test_it_names_ready_documents_without_vectors_of_their_model(cast: Cast) -> None:
    handbook = make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    DocumentVectors.objects.filter(document=handbook).delete()
    assert embedding_problems() == [
        "Ready documents without vectors of their workspace's model: acme (1). Search cannot find "
        "their passages. Fix: manage.py reindex --outdated"
    ]


def test_it_names_a_missing_or_resized_vector_table(cast: Cast) -> None:
    index.current(cast.acme)
    store = VectorStore.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {store.table} ALTER embedding TYPE vector(3) USING NULL")
    [problem] = embedding_problems()
    assert f"{store.table} holds 3-dimension vectors, not 512" in problem


def test_switching_to_an_allowed_model_clears_the_mismatch(
    cast: Cast, settings: SettingsWrapper, openai_settings: FakeOpenAI
) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    settings.OPENAI_API_KEY = ""
    assert embedding_problems()
    switching.start(cast.acme, "offline-wordllama-v1")
    switching.run(cast.acme.pk)
    assert embedding_problems() == []


def test_manage_py_check_prints_the_warning(cast: Cast, settings: SettingsWrapper, capsys) -> None:
    settings.OPENAI_API_KEY = "test-key"
    index.current(cast.acme)
    settings.OPENAI_API_KEY = ""
    call_command("check", tags=["documents"])
    assert "documents.W001" in capsys.readouterr().err


def test_healthz_still_answers_when_the_models_cannot_be_checked(
    db: None, client: Client, monkeypatch
) -> None:
    from docuchat import views

    def broken() -> list[str]:
        raise RuntimeError("no catalog")

    monkeypatch.setitem(views.WARNINGS, "embeddings", broken)
    beat("worker-host:1", "*")  # the probe also wants a live worker
    with override_settings(DEBUG=True):
        body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["warnings"] == {"embeddings": ["could not be checked: RuntimeError: no catalog"]}
