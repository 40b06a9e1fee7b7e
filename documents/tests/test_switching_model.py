"""A workspace switched from the offline model to an OpenAI-compatible one keeps answering
throughout: with the old model's vectors until every document has the new ones, then with the new.

The switch runs in a thread of its own against the local OpenAI-compatible server, which holds its
first embedding request until a question has been asked mid-switch.
"""

import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.retrieval import search
from chat.tests.factories import make_document
from docuchat.fake_openai import EMBEDDINGS, FakeOpenAI, Recorded, Reply
from docuchat.testing import Cast
from documents import index, switching, vectors
from documents.models import DocumentVectors, SearchIndex
from documents.tests import pdfs
from documents.tests.conftest import ingest_now
from documents.tests.conftest import make_document as make_upload
from documents.wordllama import MODEL as OFFLINE_MODEL
from tenants.models import AuditEntry
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)

HANDBOOK = [
    "Welcome to Acme. This handbook explains how the company works and who to ask.",
    "Refund policy: customers may return any product within 30 days for a full refund.",
    "Travel expenses are reimbursed within 14 days when receipts are attached.",
]
NEW = "text-embedding-3-large:1024"


@pytest.fixture
def held_server() -> Iterator[tuple[FakeOpenAI, threading.Event, threading.Event]]:
    """An OpenAI-compatible server whose first embeddings request waits for `release`."""
    with FakeOpenAI(dimensions=1024) as server:
        reached, release = threading.Event(), threading.Event()
        real = server.embeddings

        def held(request: Recorded) -> Reply:
            if not reached.is_set():
                reached.set()
                assert release.wait(20), "the test never released the server"
            return real(request)

        server.route(EMBEDDINGS, held)
        yield server, reached, release
        release.set()


def in_thread(target, *args) -> threading.Thread:
    def run() -> None:
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_it_answers_with_the_old_model_mid_switch_and_with_the_new_one_after(
    cast: Cast, held_server: tuple[FakeOpenAI, threading.Event, threading.Event], settings: SettingsWrapper
) -> None:
    server, reached, release = held_server
    handbook = make_document(cast.acme, "Handbook", HANDBOOK)  # offline vectors (512)
    old = index.current(cast.acme).store
    assert (old.model, old.dimensions) == (OFFLINE_MODEL, 512)
    settings.OPENAI_API_KEY = "test-key"  # the server's key is added later
    settings.OPENAI_BASE_URL = server.base_url
    settings.EMBEDDING_MODELS = [("text-embedding-3-large", 1024)]

    started = switching.start(cast.acme, NEW, by=cast.owner)
    assert (started.target.model, started.target.dimensions) == ("text-embedding-3-large", 1024)
    switch = in_thread(switching.run, cast.acme.pk)
    assert reached.wait(10), "the switch never asked for embeddings"

    mid = search(cast.acme, "What is the refund policy?", user=cast.member)  # mid-switch
    assert mid and mid[0].title == "Handbook" and mid[0].page_start == 2
    assert mid[0].distance is not None  # found by the old model's vectors, not full text alone
    assert index.current(cast.acme).state == SearchIndex.State.BUILDING
    assert len(server.requests_to(EMBEDDINGS)) == 1  # the question did not go to the new model

    release.set()
    switch.join(20)
    after = index.current(cast.acme)
    assert after.store.model == "text-embedding-3-large" and after.target is None
    assert (after.previous, after.state, after.purge_pending) == (old, SearchIndex.State.READY, False)
    assert vectors.count(old, cast.acme.pk) == 0  # the old vectors were removed after the switch
    assert len(vectors.of_document(after.store, cast.acme.pk, handbook.pk)) == 3
    assert list(DocumentVectors.objects.values_list("store", flat=True)) == [after.store.pk]

    hits = search(cast.acme, "What is the refund policy?", user=cast.member)
    assert hits[0].title == "Handbook" and hits[0].page_start == 2
    asked = server.requests_to(EMBEDDINGS)[-1].json
    assert (asked["model"], asked["dimensions"], asked["input"]) == (
        "text-embedding-3-large",
        1024,
        ["What is the refund policy?"],
    )
    embedded = UsageRecord.objects.get(kind="document_embedding")
    assert (embedded.model, embedded.user, embedded.document) == (
        "text-embedding-3-large",
        cast.owner,
        handbook,
    )
    steps = [e.details["step"] for e in AuditEntry.objects.filter(action="settings.changed").order_by("pk")]
    assert steps == ["started", "switched"]


def test_it_gives_documents_indexed_during_a_switch_both_models_vectors(
    cast: Cast, openai_settings: FakeOpenAI, settings: SettingsWrapper
) -> None:
    settings.OPENAI_API_KEY = ""
    first = ingest_now(make_upload(cast))  # offline
    settings.OPENAI_API_KEY = "test-key"
    settings.EMBEDDING_MODELS = [("text-embedding-3-small", 256)]
    current = switching.start(cast.acme, "text-embedding-3-small:256", by=cast.owner)

    during = ingest_now(make_upload(cast, pdfs.text_pdf(2, seed=9), name="during.pdf"))
    stores = set(during.vector_sets.values_list("store", flat=True))
    assert stores == {current.store.pk, current.target.pk}
    assert len(vectors.of_document(current.target, cast.acme.pk, during.pk)) == during.chunks_total

    requests_before = len(openai_settings.requests_to(EMBEDDINGS))
    switching.run(cast.acme.pk)
    after = index.current(cast.acme)
    assert (after.store, after.documents_done, after.documents_total) == (current.target, 2, 2)
    embedded_now = openai_settings.requests_to(EMBEDDINGS)[requests_before:]
    assert all(len(r.json["input"]) <= first.chunks_total for r in embedded_now)  # only `first`


def test_it_rolls_back_before_the_switch_in_one_action(
    cast: Cast, openai_settings: FakeOpenAI, settings: SettingsWrapper
) -> None:
    settings.OPENAI_API_KEY = ""  # indexed offline, before the key was added
    make_document(cast.acme, "Handbook", HANDBOOK[:1])
    make_document(cast.acme, "Travel", HANDBOOK[2:])
    settings.OPENAI_API_KEY = "test-key"
    openai_settings.queue(EMBEDDINGS, Reply(), Reply(status=401))  # the second document's call fails
    current = switching.start(cast.acme, "text-embedding-3-small:512", by=cast.owner)
    switching.run(cast.acme.pk)
    stopped = index.current(cast.acme)
    assert stopped.state == SearchIndex.State.FAILED and "refused the request (401)" in stopped.error
    assert stopped.store == current.store and vectors.count(stopped.target, cast.acme.pk) == 1

    kept = switching.cancel(cast.acme, by=cast.owner)
    switching.run(cast.acme.pk)  # the task the cancel queued: it removes the vectors built so far
    assert kept.store == current.store and kept.target is None
    assert vectors.count(current.target, cast.acme.pk) == 0
    assert set(DocumentVectors.objects.values_list("store", flat=True)) == {current.store.pk}
    assert search(cast.acme, "travel expenses receipts")[0].title == "Travel"


def test_it_refuses_models_the_server_does_not_allow_and_a_second_switch(cast: Cast, settings) -> None:
    index.current(cast.acme)  # the workspace exists before the server's key
    with pytest.raises(switching.SwitchRefused, match="not an embedding model this server allows"):
        switching.start(cast.acme, "text-embedding-3-small:512")  # no OPENAI_API_KEY
    with pytest.raises(switching.SwitchRefused, match="already uses"):
        switching.start(cast.acme, f"{OFFLINE_MODEL}:512")
    settings.OPENAI_API_KEY = "test-key"
    switching.start(cast.acme, "text-embedding-3-small")
    with pytest.raises(switching.SwitchRefused, match="already under way"):
        switching.start(cast.acme, "text-embedding-3-small:512")
    with pytest.raises(switching.SwitchRefused, match="No switch"):
        switching.cancel(cast.globex)


def test_a_document_whose_run_overlaps_the_start_of_a_switch_gets_both_models(
    cast: Cast, openai_settings: FakeOpenAI, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    from documents import pipeline

    settings.OPENAI_API_KEY = ""
    index.current(cast.acme)  # offline
    settings.OPENAI_API_KEY = "test-key"
    real_embed = pipeline._embed

    def embed_then_switch(run, drafts, stores, results) -> None:
        real_embed(run, drafts, stores, results)
        if not SearchIndex.objects.get(pk=cast.acme.pk).target_id:  # the owner starts a switch now
            switching.start(cast.acme, "text-embedding-3-small:512", by=cast.owner)

    monkeypatch.setattr(pipeline, "_embed", embed_then_switch)
    document = ingest_now(make_upload(cast))
    current = index.current(cast.acme)
    assert set(document.vector_sets.values_list("store", flat=True)) == {current.store.pk, current.target.pk}
    assert sorted(UsageRecord.objects.filter(document=document).values_list("model", flat=True)) == [
        OFFLINE_MODEL,
        "text-embedding-3-small",
    ]
