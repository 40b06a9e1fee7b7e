from django.test import Client, override_settings

from docuchat.testing import Cast
from documents.models import SearchIndex


def test_it_says_when_embeddings_are_computed_offline(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    html = client.get("/t/acme/documents/").content.decode()
    assert "offline embeddings (offline-wordllama-v1, computed on this server)" in html


@override_settings(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL="", EMBEDDING_MODEL="text-embedding-3-large")
def test_it_names_the_openai_model_when_one_is_configured(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    html = client.get("/t/acme/documents/").content.decode()
    assert "OpenAI text-embedding-3-large" in html and "offline" not in html


@override_settings(
    OPENAI_API_KEY="sk-test", OPENAI_BASE_URL="http://127.0.0.1:11434/v1", EMBEDDING_MODEL="nomic-embed"
)
def test_it_says_so_for_an_openai_compatible_server(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    html = client.get("/t/acme/documents/").content.decode()
    assert "nomic-embed on an OpenAI-compatible server" in html and "11434" not in html


def test_it_offers_the_semantic_model_to_workspaces_still_on_feature_hashing(
    client: Client, cast: Cast
) -> None:
    from documents import index, vectors

    hashing = vectors.store_for("offline-hash-v1", 512)
    SearchIndex.objects.filter(tenant=cast.acme).delete()
    SearchIndex.objects.create(tenant=cast.acme, store=hashing)
    index.current(cast.acme)
    client.force_login(cast.owner)
    html = client.get("/t/acme/documents/").content.decode()
    assert "A better offline model is available" in html and "offline-wordllama-v1" in html
    assert client.get("/t/globex/documents/").status_code == 404
