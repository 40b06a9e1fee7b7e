"""The Search index page: every member sees the workspace's model and a switch's progress; owners
and admins start, cancel and retry switches; other workspaces' people get 404 on all of it."""

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents import index, switching
from documents.models import SearchIndex
from tenants.models import AuditEntry

PAGE = "/t/{slug}/documents/search-index/"
ACTIONS = ("switch/", "cancel/", "retry/")


@pytest.fixture
def with_key(settings: SettingsWrapper, cast: Cast) -> None:
    """The workspaces were made offline; then the server got an OpenAI key."""
    index.current(cast.acme), index.current(cast.globex)
    settings.OPENAI_API_KEY = "test-key"
    settings.EMBEDDING_MODELS = [("text-embedding-3-large", 1024)]


def test_it_shows_the_model_and_offers_the_allowed_ones_to_managers(
    client: Client, cast: Cast, with_key: None
) -> None:
    make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    client.force_login(cast.owner)
    html = client.get(PAGE.format(slug="acme")).content.decode()
    assert "offline-wordllama-v1 (512 dimensions, offline, computed on this server)" in html
    assert 'value="text-embedding-3-small:512"' in html and 'value="text-embedding-3-large:1024"' in html
    assert 'value="offline-wordllama-v1:512"' not in html  # the one it has
    assert "re-embedded in the background (7 tokens)" in html


def test_it_offers_openai_models_only_once_the_server_has_a_key(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = client.get(PAGE.format(slug="acme")).content.decode()
    assert "text-embedding-3" not in html and "once the server has an <code>OPENAI_API_KEY</code>" in html


def test_it_starts_a_switch_shows_its_progress_and_cancels_it(
    client: Client, cast: Cast, with_key: None, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE.format(slug="acme") + "switch/", {"model": "text-embedding-3-large:1024"})
    assert response.status_code == 302
    html = client.get(PAGE.format(slug="acme")).content.decode()
    assert "Switching search to <strong>text-embedding-3-large (1024 dimensions)</strong>" in html
    assert "Questions are answered with offline-wordllama-v1 (512 dimensions) until it is done." in html
    documents_page = client.get("/t/acme/documents/").content.decode()
    assert 'id="search-index-status"' in documents_page and "Switching search to" in documents_page

    client.post(PAGE.format(slug="acme") + "cancel/")
    current = index.current(cast.acme)
    assert current.target is None and current.store.model == "offline-wordllama-v1"
    steps = list(AuditEntry.objects.order_by("pk").values_list("details__step", flat=True))
    assert steps == ["started", "cancelled"]


def test_it_says_why_a_switch_cannot_start(client: Client, cast: Cast, with_key: None) -> None:
    client.force_login(cast.owner)
    response = client.post(PAGE.format(slug="acme") + "switch/", {"model": "made-up:12"}, follow=True)
    assert "is not an embedding model this server allows" in response.content.decode()
    assert index.current(cast.acme).target is None


def test_it_lets_members_look_but_not_switch(client: Client, cast: Cast, with_key: None) -> None:
    client.force_login(cast.member)
    html = client.get(PAGE.format(slug="acme")).content.decode()
    assert "offline-wordllama-v1" in html and "Start the switch" not in html
    for action in ACTIONS:
        assert (
            client.post(PAGE.format(slug="acme") + action, {"model": "text-embedding-3-small"}).status_code
            == 403
        )
    assert index.current(cast.acme).target is None


def test_it_is_404_for_another_workspaces_people(client: Client, cast: Cast, with_key: None) -> None:
    switching.start(cast.acme, "text-embedding-3-small")
    client.force_login(cast.other)  # owner of globex
    assert client.get(PAGE.format(slug="acme")).status_code == 404
    for action in ACTIONS:
        response = client.post(PAGE.format(slug="acme") + action, {"model": "text-embedding-3-large:1024"})
        assert response.status_code == 404
    current = index.current(cast.acme)
    assert current.target.model == "text-embedding-3-small" and current.state == SearchIndex.State.QUEUED


def test_it_sends_anonymous_visitors_to_sign_in(client: Client, cast: Cast) -> None:
    response = client.get(PAGE.format(slug="acme"))
    assert response.status_code == 302 and "/login/" in response.url


def test_it_shows_what_other_apps_put_beside_the_switch(client: Client, cast: Cast) -> None:
    from django.utils.html import format_html

    def evaluation(sender: object, index: SearchIndex, request: object, **kwargs: object) -> str:
        return format_html("<section id='eval'>Recall@6 with {}: 0.91</section>", index.store)

    switching.search_index_panels.connect(evaluation)
    try:
        client.force_login(cast.member)
        html = client.get(PAGE.format(slug="acme")).content.decode()
    finally:
        switching.search_index_panels.disconnect(evaluation)
    assert "<section id='eval'>Recall@6 with offline-wordllama-v1 (512 dimensions): 0.91</section>" in html
