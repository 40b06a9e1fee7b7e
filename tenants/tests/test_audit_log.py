from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from docuchat.testing import Cast
from tenants import audit
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db
Action = audit.Action


def entries(cast: Cast, count: int, action: Action = Action.DOCUMENT_UPLOADED, actor: object = None) -> None:
    start = timezone.now() - timedelta(hours=1)
    for i in range(count):
        entry = audit.record(cast.acme, actor or cast.member, action, f"doc-{i:02d}.pdf", pages=i)
        AuditEntry.objects.filter(pk=entry.pk).update(created=start + timedelta(seconds=i))


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


def test_it_shows_who_did_what_and_when_newest_first(owner: Client, cast: Cast) -> None:
    audit.record(
        cast.acme, cast.owner, Action.MEMBER_ROLE_CHANGED, "member@acme.test", old="member", new="admin"
    )
    audit.record(cast.globex, cast.other, Action.SETTINGS_CHANGED, "globex")
    page = owner.get("/t/acme/audit/").content.decode()
    assert "Role changed" in page and "member@acme.test" in page
    assert "member → admin" in page
    assert "owner@acme.test" in page
    assert "globex" not in page.split('id="audit-entries"')[1]  # another tenant's entries never show


def test_it_paginates_25_to_a_page(owner: Client, cast: Cast) -> None:
    entries(cast, 30)
    first = owner.get("/t/acme/audit/").content.decode()
    assert "doc-29.pdf" in first and "doc-05.pdf" in first and "doc-04.pdf" not in first
    assert "Page 1 of 2 · 30 entries" in first
    second = owner.get("/t/acme/audit/?page=2").content.decode()
    assert "doc-04.pdf" in second and "doc-00.pdf" in second and "doc-05.pdf" not in second


def test_it_filters_by_action_and_actor(owner: Client, cast: Cast) -> None:
    entries(cast, 3, Action.DOCUMENT_UPLOADED, cast.member)
    entries(cast, 2, Action.DOCUMENT_DELETED, cast.owner)
    audit.record(cast.acme, None, Action.QUOTA_CHANGED, "acme", limit=100)
    by_action = owner.get("/t/acme/audit/?action=document.deleted").content.decode()
    assert by_action.count('data-action="document.deleted"') == 2
    assert 'data-action="document.uploaded"' not in by_action
    by_actor = owner.get("/t/acme/audit/?actor=member@acme.test").content.decode()
    assert by_actor.count('data-action="document.uploaded"') == 3
    assert 'data-action="document.deleted"' not in by_actor
    system = owner.get("/t/acme/audit/?actor=system").content.decode()
    assert system.count("<tr data-action=") == 1 and 'data-action="quota.changed"' in system
    both = owner.get("/t/acme/audit/?action=document.uploaded&actor=owner@acme.test").content.decode()
    assert "No entries match these filters." in both


def test_it_keeps_the_filters_in_the_page_links(owner: Client, cast: Cast) -> None:
    entries(cast, 30, Action.DOCUMENT_UPLOADED)
    page = owner.get("/t/acme/audit/?action=document.uploaded").content.decode()
    assert "?action=document.uploaded&amp;page=2" in page


def test_it_answers_htmx_with_the_entries_partial(owner: Client, cast: Cast) -> None:
    entries(cast, 2)
    response = owner.get("/t/acme/audit/?action=document.uploaded", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-entries">')
    assert "<html" not in body and "doc-01.pdf" in body
    assert "HX-Request" in response["Vary"]


def test_it_offers_only_this_tenants_actors_in_the_filter(owner: Client, cast: Cast) -> None:
    entries(cast, 1, actor=cast.member)
    audit.record(cast.globex, cast.other, Action.SETTINGS_CHANGED, "globex")
    page = owner.get("/t/acme/audit/").content.decode()
    assert '<option value="member@acme.test">' in page
    assert "boss@globex.test" not in page


def test_it_ignores_an_unknown_filter_value_with_a_message(owner: Client, cast: Cast) -> None:
    entries(cast, 1)
    response = owner.get("/t/acme/audit/?action=nonsense")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "doc-00.pdf" in response.content.decode()


def test_it_is_for_owners_and_admins_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    assert client.get("/t/acme/audit/").status_code == 403
    client.force_login(cast.other)
    assert client.get("/t/acme/audit/").status_code == 404


def test_it_shows_the_log_read_only_in_django_admin(client: Client, cast: Cast) -> None:
    entries(cast, 1)
    admin = cast.outsider
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    listing = client.get("/admin/tenants/auditentry/")
    assert listing.status_code == 200
    assert "doc-00.pdf" in listing.content.decode()
    entry = AuditEntry.objects.get()
    detail = client.get(f"/admin/tenants/auditentry/{entry.pk}/change/").content.decode()
    assert "doc-00.pdf" in detail and 'name="_save"' not in detail
    assert client.get("/admin/tenants/auditentry/add/").status_code == 403
    assert client.post(f"/admin/tenants/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
