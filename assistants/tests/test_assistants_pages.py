"""The Assistants page: list, create, edit and delete, with clear errors and an audit entry each."""

import pytest
from django.test import Client

from assistants.models import Assistant
from chat.models import ChatSession
from chat.tests.factories import make_document
from docuchat.testing import Cast
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Support",
    "description": "Answers customers",
    "all_documents": "true",
    "model": "",
    "greeting": "Hello! Ask me about our products.",
    "suggestions": "What is the refund policy?\nDo you ship abroad?",
    "not_covered": "Sorry, our documents do not say.",
    "contact_url": "https://acme.example/contact",
    "widget_enabled": "on",
    "allowed_origins": "https://shop.acme.example\nhttp://localhost:3000/",
    "visitor_daily_messages": "50",
    "conversation_messages": "30",
    "ip_minute_messages": "10",
    "monthly_tokens": "",
    "monthly_cost": "",
    "title": "Ask Acme",
    "accent_color": "#FF8800",
    "position": "left",
    "theme": "dark",
}


def test_it_lists_the_workspaces_assistants_default_first(owner: Client, cast: Cast) -> None:
    Assistant.objects.create(tenant=cast.acme, name="Alpha")
    Assistant.objects.create(tenant=cast.globex, name="Globex's own")

    html = owner.get("/t/acme/assistants/").content.decode()

    assert html.index("Assistant") < html.index("Alpha") and "Default" in html
    assert "Globex's own" not in html


def test_it_creates_an_assistant_with_every_setting(owner: Client, cast: Cast) -> None:
    response = owner.post("/t/acme/assistants/new/", VALID)

    assistant = Assistant.objects.get(tenant=cast.acme, name="Support")
    assert response.status_code == 302 and str(assistant.public_id) in response.url
    assert assistant.suggestions == ["What is the refund policy?", "Do you ship abroad?"]
    assert assistant.allowed_origins == ["https://shop.acme.example", "http://localhost:3000"]
    assert (assistant.accent_color, assistant.position, assistant.theme) == ("#ff8800", "left", "dark")
    assert assistant.contact_url == "https://acme.example/contact" and assistant.title == "Ask Acme"
    assert not assistant.is_default and assistant.all_documents
    entry = AuditEntry.objects.get(tenant=cast.acme, action=AuditEntry.Action.ASSISTANT_CREATED)
    assert entry.target == "Support" and entry.actor == cast.owner


def test_it_says_what_is_wrong_and_saves_nothing(owner: Client, cast: Cast) -> None:
    bad = {
        **VALID, "name": "  ", "suggestions": "a\nb\nc\nd\ne", "allowed_origins": "shop.example\nhttps://*.x.com",
        "accent_color": "orange", "model": "gpt-9", "all_documents": "false", "visitor_daily_messages": "0",
    }  # fmt: skip

    response = owner.post("/t/acme/assistants/new/", bad)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Give the assistant a name." in html or "This field is required." in html
    assert "at most 4 suggested questions; there are 5" in html
    assert "needs its scheme: write https://shop.example" in html
    assert "has a wildcard" in html
    assert "like #2563eb" in html
    assert "Select a valid choice" in html or "not available here" in html
    assert "Choose at least one document" in html
    assert "Use a number from 1 to 100,000." in html
    assert Assistant.objects.filter(tenant=cast.acme).count() == 1
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ASSISTANT_CREATED).exists()


def test_it_refuses_a_second_assistant_with_the_same_name(owner: Client, cast: Cast) -> None:
    Assistant.objects.create(tenant=cast.acme, name="Support")

    response = owner.post("/t/acme/assistants/new/", {**VALID, "name": "support"})

    assert response.status_code == 400 and "already has an assistant named" in response.content.decode()


def test_it_edits_an_assistant_and_audits_the_changed_fields(owner: Client, cast: Cast) -> None:
    document = make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")
    data = {**VALID, "all_documents": "false", "documents": [document.pk], "greeting": "Hi"}

    response = owner.post(f"/t/acme/assistants/{assistant.public_id}/", data)

    assert response.status_code == 302
    assistant.refresh_from_db()
    assert not assistant.all_documents and assistant.document_ids() == frozenset({document.pk})
    assert assistant.greeting == "Hi"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_CHANGED)
    assert "Greeting" in entry.details["fields"] and "Allowed origins" in entry.details["fields"]


def test_it_refuses_another_workspaces_document(owner: Client, cast: Cast) -> None:
    theirs = make_document(cast.globex, "Secret", ["Globex only."])
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")

    data = {**VALID, "all_documents": "false", "documents": [theirs.pk]}
    response = owner.post(f"/t/acme/assistants/{assistant.public_id}/", data)

    assert response.status_code == 400
    assert assistant.documents.count() == 0


def test_it_records_nothing_when_nothing_changed(owner: Client, cast: Cast) -> None:
    owner.post("/t/acme/assistants/new/", VALID)
    assistant = Assistant.objects.get(name="Support")

    owner.post(f"/t/acme/assistants/{assistant.public_id}/", VALID)

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ASSISTANT_CHANGED).exists()


def test_it_shows_the_snippet_with_the_request_host(owner: Client, cast: Cast, settings) -> None:
    settings.ALLOWED_HOSTS = ["docs.acme.test"]
    assistant = Assistant.objects.create(
        tenant=cast.acme, name="Support", allowed_origins=["https://a.example"]
    )

    html = owner.get(
        f"/t/acme/assistants/{assistant.public_id}/", HTTP_HOST="docs.acme.test"
    ).content.decode()

    src = f"https://docs.acme.test/embed/{assistant.public_id}.js"
    line = f"&lt;script src=&quot;{src}&quot; async&gt;&lt;/script&gt;"
    assert line in html and "data-copy-snippet" in html


def test_it_shows_an_http_snippet_on_a_local_server_browsed_over_http(owner: Client, cast: Cast) -> None:
    """`./dev run` serves http://127.0.0.1:8000 only: an https:// script there would never load."""
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")

    for host in ("127.0.0.1:8000", "localhost:8000"):
        html = owner.get(f"/t/acme/assistants/{assistant.public_id}/", HTTP_HOST=host).content.decode()

        assert f"src=&quot;http://{host}/embed/{assistant.public_id}.js&quot;" in html
    secure = owner.get(
        f"/t/acme/assistants/{assistant.public_id}/", HTTP_HOST="127.0.0.1:8000", secure=True
    ).content.decode()
    assert f"src=&quot;https://127.0.0.1:8000/embed/{assistant.public_id}.js&quot;" in secure


def test_it_deletes_an_assistant_and_keeps_its_conversations(owner: Client, cast: Cast) -> None:
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")
    chat = ChatSession.objects.create(tenant=cast.acme, assistant=assistant, title="Hello")

    response = owner.post(f"/t/acme/assistants/{assistant.public_id}/delete/")

    assert response.status_code == 302
    assert not Assistant.objects.filter(pk=assistant.pk).exists()
    chat.refresh_from_db()
    assert chat.assistant_id is None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_DELETED)
    assert entry.target == "Support" and entry.details["assistant"] == str(assistant.public_id)


def test_it_refuses_to_delete_the_default_assistant(owner: Client, cast: Cast) -> None:
    default = Assistant.objects.get(tenant=cast.acme, is_default=True)

    response = owner.post(f"/t/acme/assistants/{default.public_id}/delete/")

    assert response.status_code == 409
    assert "The default assistant cannot be deleted" in response.content.decode()
    assert Assistant.objects.filter(pk=default.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ASSISTANT_DELETED).exists()


def test_it_gives_another_tenants_owner_404(client: Client, cast: Cast) -> None:
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")
    client.force_login(cast.other)

    for url in (f"/t/acme/assistants/{assistant.public_id}/", "/t/acme/assistants/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/t/acme/assistants/{assistant.public_id}/delete/").status_code == 404
    # Their own workspace's address with acme's assistant: 404 too.
    assert client.get(f"/t/globex/assistants/{assistant.public_id}/").status_code == 404
    assert client.post(f"/t/globex/assistants/{assistant.public_id}/delete/").status_code == 404
    assert Assistant.objects.filter(pk=assistant.pk).exists()


def test_it_refuses_members_with_a_sentence(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)

    response = client.get("/t/acme/assistants/")

    assert response.status_code == 403 and "Owners and admins only" in response.content.decode()
    assert "/t/acme/assistants/" not in client.get("/t/acme/").content.decode()  # no nav entry


def test_it_lets_an_admin_manage_assistants(client: Client, cast: Cast, admin_user) -> None:
    client.force_login(admin_user)

    response = client.post("/t/acme/assistants/new/", VALID)

    assert response.status_code == 302
    assert AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_CREATED).actor == admin_user


def test_it_explains_an_empty_form(owner: Client, cast: Cast) -> None:
    response = owner.post("/t/acme/assistants/new/", {})

    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert Assistant.objects.filter(tenant=cast.acme).count() == 1


def test_it_offers_no_model_by_name_while_none_is_configured(cast: Cast, settings) -> None:
    from assistants.forms import AssistantForm

    settings.OPENAI_API_KEY = ""
    offline = AssistantForm(tenant=cast.acme).fields["model"].choices
    kept = Assistant(tenant=cast.acme, name="Support", model="gpt-4o", pk=1)
    settings.OPENAI_API_KEY, settings.OPENAI_MODEL = "sk-x", "gpt-4o-mini"
    settings.ALLOWED_MODELS = ["gpt-4o-mini"]
    online = AssistantForm(tenant=cast.acme).fields["model"].choices

    assert offline == [("", "None: answers quote passages")]
    assert online == [("", "The server's default (gpt-4o-mini)"), ("gpt-4o-mini", "gpt-4o-mini")]
    settings.OPENAI_API_KEY = ""
    assert AssistantForm(tenant=cast.acme, instance=kept).fields["model"].choices[-1] == (
        "gpt-4o",
        "gpt-4o (once a model is configured)",
    )
