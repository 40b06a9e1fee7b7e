"""The OpenAI provider, with the real openai client, against a local OpenAI-compatible server."""

import pytest
from django.test import override_settings

from docuchat.fake_openai import EMBEDDINGS, FakeOpenAI, Recorded, Reply
from docuchat.testing import Cast
from documents import index, vectors
from documents.embeddings import EmbeddingError, OpenAIEmbedder, get_embedder
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document
from usage.models import UsageRecord


def test_it_is_chosen_when_a_key_is_set(openai_settings: FakeOpenAI) -> None:
    embedder = get_embedder()
    assert isinstance(embedder, OpenAIEmbedder) and not embedder.offline
    assert embedder.model == "text-embedding-3-small"


@override_settings(EMBEDDING_BATCH_SIZE=2)
def test_it_sends_the_texts_in_batches_and_reports_each(openai_settings: FakeOpenAI) -> None:
    done: list[int] = []
    result = get_embedder().embed([f"text number {n}" for n in range(5)], on_batch=done.append)
    sent = [r.json for r in openai_settings.requests_to(EMBEDDINGS)]
    assert [len(body["input"]) for body in sent] == [2, 2, 1]
    assert all(b["model"] == "text-embedding-3-small" and b["dimensions"] == 512 for b in sent)
    assert done == [2, 2, 1]
    assert len(result.vectors) == 5 and all(len(v) == 512 for v in result.vectors)
    assert result.tokens == 20 and result.model == "text-embedding-3-small"
    assert openai_settings.requests[0].headers["authorization"] == "Bearer test-key"


def test_it_counts_the_tokens_the_server_reports(openai_settings: FakeOpenAI) -> None:
    def answer(request: Recorded) -> Reply:
        reply = openai_settings.embeddings(request)
        reply.json["usage"] = {"prompt_tokens": 1234, "total_tokens": 1234}
        return reply

    openai_settings.route(EMBEDDINGS, answer)
    assert get_embedder().embed(["hello"]).tokens == 1234


def test_it_retries_after_a_429_then_succeeds(openai_settings: FakeOpenAI) -> None:
    openai_settings.queue(EMBEDDINGS, Reply(status=429), Reply())
    result = get_embedder().embed(["hello"])
    assert len(openai_settings.requests_to(EMBEDDINGS)) == 2
    assert len(result.vectors) == 1


def test_it_retries_a_server_error_too(openai_settings: FakeOpenAI) -> None:
    openai_settings.queue(EMBEDDINGS, Reply(status=503), Reply(status=500), Reply())
    assert len(get_embedder().embed(["hello"]).vectors) == 1
    assert len(openai_settings.requests_to(EMBEDDINGS)) == 3


def test_it_gives_up_with_a_clear_error_when_the_limit_persists(openai_settings: FakeOpenAI) -> None:
    openai_settings.queue(EMBEDDINGS, *[Reply(status=429)] * 3)
    with pytest.raises(EmbeddingError, match=r"refused the request \(429\)"):
        get_embedder().embed(["hello"])
    assert len(openai_settings.requests_to(EMBEDDINGS)) == 3  # the first try and two retries


@override_settings(OPENAI_TIMEOUT=0.3, OPENAI_MAX_RETRIES=0)
def test_it_times_out_with_a_clear_error(openai_settings: FakeOpenAI) -> None:
    openai_settings.queue(EMBEDDINGS, Reply(delay=2))
    with pytest.raises(EmbeddingError, match=r"timed out \(0.3s\)"):
        get_embedder().embed(["hello"])


def test_it_refuses_vectors_of_the_wrong_size(openai_settings: FakeOpenAI) -> None:
    openai_settings.dimensions = 8
    openai_settings.queue(
        EMBEDDINGS, Reply(json={"object": "list", "data": [{"index": 0, "embedding": [0.1] * 8}]})
    )
    with pytest.raises(EmbeddingError, match="EMBEDDING_DIMENSIONS is 512"):
        get_embedder().embed(["hello"])


@override_settings(EMBEDDING_BATCH_SIZE=4)
def test_it_indexes_a_document_and_meters_the_servers_token_count(
    cast: Cast, openai_settings: FakeOpenAI
) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(5)))
    document.refresh_from_db()
    requests = openai_settings.requests_to(EMBEDDINGS)
    assert document.status == Document.Status.READY
    assert len(requests) == -(-document.chunks_total // 4)
    assert document.embedding_model == "text-embedding-3-small"
    store = index.current(cast.acme).store
    assert (store.model, store.dimensions) == ("text-embedding-3-small", 512)
    assert len(vectors.of_document(store, cast.acme.pk, document.pk)) == document.chunks_total
    record = UsageRecord.objects.get()
    assert record.model == "text-embedding-3-small" and record.prompt_tokens == document.embedding_tokens > 0
    assert record.cost > 0


@override_settings(OPENAI_MAX_RETRIES=0)
def test_it_marks_the_document_failed_with_the_providers_error(
    cast: Cast, openai_settings: FakeOpenAI
) -> None:
    openai_settings.queue(EMBEDDINGS, Reply(status=401))
    document = ingest_now(make_document(cast))
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == "The embedding service refused the request (401)."
    assert not document.chunks.exists()
