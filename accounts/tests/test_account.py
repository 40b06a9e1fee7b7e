import pytest
from django.test import Client

from accounts.models import User
from docuchat.testing import Cast
from tenants.models import AuditEntry, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client: Client, cast: Cast) -> Client:
    client.force_login(cast.member)
    return client


def test_it_saves_the_display_name(member: Client, cast: Cast) -> None:
    response = member.post("/account/", {"display_name": "  Mia Member "}, follow=True)
    assert "Your display name is saved." in response.content.decode()
    assert User.objects.get(pk=cast.member.pk).display_name == "Mia Member"
    assert "Mia Member" in member.get("/t/acme/members/").content.decode()


def test_it_refuses_a_display_name_too_long(member: Client, cast: Cast) -> None:
    response = member.post("/account/", {"display_name": "x" * 121})
    assert response.status_code == 400
    assert "at most 120 characters" in response.content.decode()
    assert User.objects.get(pk=cast.member.pk).display_name == ""


def test_it_lists_only_the_users_workspaces(member: Client, cast: Cast) -> None:
    Membership.objects.create(tenant=cast.globex, user=cast.member, role="admin")
    page = member.get("/account/").content.decode()
    assert 'data-workspace="acme"' in page and 'data-workspace="globex"' in page
    Membership.objects.filter(tenant=cast.globex, user=cast.member).delete()
    page = member.get("/account/").content.decode()
    assert 'data-workspace="globex"' not in page


def test_it_leaves_a_workspace(member: Client, cast: Cast) -> None:
    response = member.post("/account/leave/", {"tenant": "acme"}, follow=True)
    assert "You left Acme." in response.content.decode()
    assert not Membership.objects.filter(tenant=cast.acme, user=cast.member).exists()
    assert member.get("/t/acme/").status_code == 404
    assert AuditEntry.objects.filter(
        tenant=cast.acme, action="member.left", target="member@acme.test"
    ).exists()


def test_it_gives_404_for_leaving_a_workspace_one_is_not_in(member: Client, cast: Cast) -> None:
    assert member.post("/account/leave/", {"tenant": "globex"}).status_code == 404
    assert member.post("/account/leave/", {"tenant": ""}).status_code == 404
    assert Membership.objects.filter(tenant=cast.globex).count() == 1


def test_it_asks_anonymous_users_to_log_in(client: Client, cast: Cast) -> None:
    for url in ("/account/", "/account/leave/", "/account/sessions/end/"):
        response = client.post(url, {"tenant": "acme"}) if url != "/account/" else client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/?next="), url
    assert Membership.objects.filter(tenant=cast.acme, user=cast.member).exists()


def test_it_links_the_account_page_from_the_sidebar(member: Client) -> None:
    assert 'href="/account/"' in member.get("/t/acme/").content.decode()
    assert member.get("/account/leave/").status_code == 405
