from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tenants.models import AuditEntry, Membership
from tenants.tests.conftest import Team

pytestmark = pytest.mark.django_db


def test_it_lists_members_with_role_joined_and_last_active(client: Client, team: Team) -> None:
    client.force_login(team.cast.member)
    page = client.get("/t/acme/members/").content.decode()
    for email in ("owner@acme.test", "admin@acme.test", "member@acme.test", "colleague@acme.test"):
        assert email in page
    assert page.index("owner@acme.test") < page.index("admin@acme.test") < page.index("colleague@acme.test")
    assert "Never" in page  # colleague has not been here
    assert "boss@globex.test" not in page


def test_it_records_last_activity_at_most_every_five_minutes(client: Client, team: Team) -> None:
    client.force_login(team.cast.member)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/t/acme/")
    assert Membership.objects.get(pk=team.member.pk).last_active == start
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        client.get("/t/acme/")
    assert Membership.objects.get(pk=team.member.pk).last_active == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client.get("/t/acme/")
    assert Membership.objects.get(pk=team.member.pk).last_active == start + timedelta(minutes=6)


def test_it_shows_members_no_management_controls(client: Client, team: Team) -> None:
    client.force_login(team.cast.member)
    page = client.get("/t/acme/members/").content.decode()
    assert "Invite a colleague" not in page
    assert "/remove/" not in page and "/role/" not in page
    assert "Leave workspace" in page


def test_it_shows_admins_controls_for_members_but_not_owners(client: Client, team: Team) -> None:
    client.force_login(team.admin.user)
    page = client.get("/t/acme/members/").content.decode()
    assert "Invite a colleague" in page
    assert f"{team.colleague.public_id}/remove/" in page
    assert f"{team.owner.public_id}/remove/" not in page
    assert '<option value="owner"' not in page  # admins cannot grant owner
    assert "/transfer/" not in page


def test_it_changes_a_role_and_audits_it(client: Client, team: Team) -> None:
    client.force_login(team.admin.user)
    response = client.post(
        f"/t/acme/members/{team.colleague.public_id}/role/", {"role": "admin"}, follow=True
    )
    assert "colleague@acme.test is now admin." in response.content.decode()
    assert Membership.objects.get(pk=team.colleague.pk).role == "admin"
    entry = AuditEntry.objects.get(action="member.role_changed")
    assert (entry.actor_email, entry.target, entry.details) == (
        "admin@acme.test", "colleague@acme.test", {"old": "member", "new": "admin"},
    )  # fmt: skip


def test_it_rejects_an_unknown_role(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post(f"/t/acme/members/{team.colleague.public_id}/role/", {"role": "boss"})
    assert response.status_code == 400
    assert "Choose owner, admin or member." in response.content.decode()


def test_it_removes_a_member_who_loses_access_at_once(client: Client, team: Team) -> None:
    removed = Client()
    removed.force_login(team.colleague.user)
    assert removed.get("/t/acme/").status_code == 200
    client.force_login(team.admin.user)
    response = client.post(
        f"/t/acme/members/{team.colleague.public_id}/remove/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "colleague@acme.test was removed from Acme." in response.content.decode()
    assert "colleague@acme.test</td>" not in response.content.decode()
    assert removed.get("/t/acme/").status_code == 404
    assert removed.get("/t/acme/documents/").status_code == 404
    entry = AuditEntry.objects.get(action="member.removed")
    assert (entry.actor_email, entry.target, entry.details) == (
        "admin@acme.test",
        "colleague@acme.test",
        {"role": "member"},
    )


def test_it_lets_a_member_leave(client: Client, team: Team) -> None:
    client.force_login(team.cast.member)
    response = client.post("/t/acme/members/leave/")
    assert response.url == "/"
    assert not Membership.objects.filter(pk=team.member.pk).exists()
    assert client.get("/t/acme/").status_code == 404
    assert AuditEntry.objects.filter(action="member.left", actor_email="member@acme.test").exists()


def test_it_redirects_an_htmx_leave_to_the_home_page(client: Client, team: Team) -> None:
    client.force_login(team.cast.member)
    response = client.post("/t/acme/members/leave/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/"


def test_it_renders_only_the_panel_for_htmx_but_the_page_for_boosted_links(
    client: Client, team: Team
) -> None:
    client.force_login(team.cast.owner)
    panel = client.get("/t/acme/members/", headers={"HX-Request": "true"}).content.decode()
    assert panel.lstrip().startswith('<div id="team"')
    boosted = client.get("/t/acme/members/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.content.decode()
    assert "HX-Request" in boosted["Vary"]
