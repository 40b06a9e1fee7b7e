"""The only owner of a workspace is not offered a Leave button that can only fail: the page
says why instead, on the members page and on the account page."""

import pytest
from django.test import Client

from docuchat.testing import Cast
from tenants.models import Membership
from tenants.permissions import SOLE_OWNER

pytestmark = pytest.mark.django_db


def leave_buttons(html: str) -> int:
    return html.count(">Leave workspace</button>") + html.count(">Leave</button>")


def test_it_tells_the_only_owner_why_they_cannot_leave(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    for url in ("/t/acme/members/", "/account/"):
        html = client.get(url).content.decode()
        assert leave_buttons(html) == 0 and SOLE_OWNER in html, url


def test_it_offers_leave_once_there_is_another_owner(client: Client, cast: Cast) -> None:
    Membership.objects.filter(tenant=cast.acme, user=cast.member).update(role=Membership.Role.OWNER)
    client.force_login(cast.owner)
    for url in ("/t/acme/members/", "/account/"):
        html = client.get(url).content.decode()
        assert leave_buttons(html) == 1 and SOLE_OWNER not in html, url


def test_it_offers_members_leave_in_each_of_their_workspaces(client: Client, cast: Cast) -> None:
    Membership.objects.create(tenant=cast.globex, user=cast.owner, role=Membership.Role.MEMBER)
    client.force_login(cast.owner)
    html = client.get("/account/").content.decode()
    globex = html.split('data-workspace="globex"')[1].split("</tr>")[0]
    acme = html.split('data-workspace="acme"')[1].split("</tr>")[0]
    assert ">Leave</button>" in globex and SOLE_OWNER in acme


def test_it_shows_another_workspace_nothing(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    assert client.get("/t/acme/members/").status_code == 404
