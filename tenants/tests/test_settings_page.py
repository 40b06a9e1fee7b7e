from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from docuchat.testing import Cast
from tenants.models import AuditEntry, Tenant

pytestmark = pytest.mark.django_db

MODELS = ["gpt-4o-mini", "gpt-4o"]


def post(client: Client, **fields: str):
    data = {"name": "Acme", "assistant_instructions": "", "default_model": ""} | fields
    return client.post("/t/acme/settings/", data)


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


def acme() -> Tenant:
    return Tenant.objects.get(slug="acme")


@override_settings(ALLOWED_MODELS=MODELS, OPENAI_MODEL="gpt-4o-mini")
def test_it_saves_name_instructions_and_model_and_audits_the_change(owner: Client) -> None:
    response = post(
        owner, name="Acme Corp", assistant_instructions="Answer in French.", default_model="gpt-4o"
    )
    assert response.url == "/t/acme/settings/"
    tenant = acme()
    assert (tenant.name, tenant.assistant_instructions, tenant.default_model) == (
        "Acme Corp", "Answer in French.", "gpt-4o",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="settings.changed")
    assert entry.actor_email == "owner@acme.test"
    assert entry.details == {
        "name": {"old": "Acme", "new": "Acme Corp"},
        "assistant_instructions": {"old": "", "new": "Answer in French."},
        "default_model": {"old": "", "new": "gpt-4o"},
    }
    assert "Settings saved." in owner.get("/t/acme/settings/").content.decode()


def test_it_records_nothing_when_nothing_changed(owner: Client) -> None:
    response = post(owner)
    assert "Nothing changed." in owner.get(response.url).content.decode()
    assert not AuditEntry.objects.exists()


def test_it_refuses_instructions_over_2000_characters(owner: Client) -> None:
    response = post(owner, name="Renamed", assistant_instructions="x" * 2001)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Keep the instructions to 2000 characters or fewer (they are 2001 now)." in page
    assert "2001 / 2000 characters" in page
    assert (acme().name, acme().assistant_instructions) == ("Acme", "")  # nothing half-saved
    assert ">Acme</span>" in page  # the sidebar still shows the saved name


def test_it_counts_a_newline_as_one_character_like_the_browser(owner: Client) -> None:
    text = "abc\r\n" * 499 + "abcd"  # 2499 characters sent, 2000 once CRLF is LF, as the counter shows
    assert post(owner, assistant_instructions=text).status_code == 302
    assert len(acme().assistant_instructions) == 2000
    assert "\r" not in acme().assistant_instructions


@override_settings(ALLOWED_MODELS=MODELS, OPENAI_MODEL="gpt-4o-mini")
def test_it_offers_only_the_allowed_models(owner: Client) -> None:
    page = owner.get("/t/acme/settings/").content.decode()
    assert '<option value="gpt-4o">gpt-4o</option>' in page
    assert "Server default (gpt-4o-mini)" in page
    response = post(owner, default_model="gpt-5-ultra")
    assert response.status_code == 400
    assert "Choose one of the allowed models: gpt-4o-mini, gpt-4o." in response.content.decode()
    assert acme().default_model == ""


def test_it_requires_a_name(owner: Client) -> None:
    response = post(owner, name="   ")
    assert response.status_code == 400
    assert "The workspace needs a name." in response.content.decode()
    assert acme().name == "Acme"


def test_it_shows_a_live_character_count_from_a_static_script(owner: Client) -> None:
    Tenant.objects.filter(slug="acme").update(assistant_instructions="Be brief.")
    page = owner.get("/t/acme/settings/").content.decode()
    assert 'data-charcount="2000"' in page
    assert 'data-charcount-for="id_assistant_instructions"' in page
    assert "9 / 2000 characters" in page
    assert "/static/js/tenants.js" in page
    assert "<script>" not in page  # CSP: no inline scripts
    script = (Path(settings.BASE_DIR) / "static/js/tenants.js").read_text()
    assert "data-charcount" in script


def test_it_lets_an_admin_change_settings_but_not_delete(client: Client, cast: Cast) -> None:
    cast.acme.memberships.filter(user=cast.member).update(role="admin")
    client.force_login(cast.member)
    page = client.get("/t/acme/settings/").content.decode()
    assert "Assistant instructions" in page
    assert "Delete this workspace" not in page
    assert post(client, name="By Admin").status_code == 302
    assert acme().name == "By Admin"


def test_it_shows_settings_and_audit_links_to_managers_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    nav = client.get("/t/acme/").content.decode()
    assert "/t/acme/settings/" in nav and "/t/acme/audit/" in nav and "/account/" in nav
    client.force_login(cast.member)
    nav = client.get("/t/acme/").content.decode()
    assert "/t/acme/settings/" not in nav and "/t/acme/audit/" not in nav and "/account/" in nav


def test_it_gives_404_to_another_tenants_owner(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    assert client.get("/t/acme/settings/").status_code == 404
    assert post(client, name="Hijacked").status_code == 404
    assert acme().name == "Acme"
