import pytest
from django.test import Client

from docuchat.testing import Cast
from tenants.models import AuditEntry, Tenant

pytestmark = pytest.mark.django_db


def post(client: Client, **fields: str):
    data = {"name": "Acme"} | fields
    return client.post("/t/acme/settings/", data)


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


def acme() -> Tenant:
    return Tenant.objects.get(slug="acme")


def test_it_saves_the_name_and_audits_the_change(owner: Client) -> None:
    response = post(owner, name="Acme Corp")
    assert response.url == "/t/acme/settings/"
    assert acme().name == "Acme Corp"
    entry = AuditEntry.objects.get(action="settings.changed")
    assert entry.actor_email == "owner@acme.test"
    assert entry.details == {"name": {"old": "Acme", "new": "Acme Corp"}}
    assert "Settings saved." in owner.get("/t/acme/settings/").content.decode()


def test_it_records_nothing_when_nothing_changed(owner: Client) -> None:
    response = post(owner)
    assert "Nothing changed." in owner.get(response.url).content.decode()
    assert not AuditEntry.objects.exists()


def test_it_no_longer_edits_instructions_or_the_model_here(owner: Client) -> None:
    """They moved into each assistant (the default assistant holds what the workspace had)."""
    page = owner.get("/t/acme/settings/").content.decode()
    assert "assistant_instructions" not in page and "default_model" not in page
    assert "set on each assistant" in page
    assert post(owner, name="Acme", assistant_instructions="Ignored.").status_code == 302
    assert not AuditEntry.objects.exists()


def test_it_requires_a_name(owner: Client) -> None:
    response = post(owner, name="   ")
    assert response.status_code == 400
    assert "The workspace needs a name." in response.content.decode()
    assert acme().name == "Acme"


def test_it_lets_an_admin_change_settings_but_not_delete(client: Client, cast: Cast) -> None:
    cast.acme.memberships.filter(user=cast.member).update(role="admin")
    client.force_login(cast.member)
    page = client.get("/t/acme/settings/").content.decode()
    assert "Workspace name" in page
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
