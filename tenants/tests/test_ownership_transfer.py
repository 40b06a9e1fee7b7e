import pytest
from django.test import Client

from tenants.models import AuditEntry, Membership
from tenants.tests.conftest import Team

pytestmark = pytest.mark.django_db


def role(m: Membership) -> str:
    return Membership.objects.get(pk=m.pk).role


def test_it_transfers_ownership_and_steps_the_owner_down_to_admin(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post(f"/t/acme/members/{team.colleague.public_id}/transfer/", follow=True)
    assert "colleague@acme.test now owns Acme; you are an admin." in response.content.decode()
    assert (role(team.colleague), role(team.owner)) == ("owner", "admin")
    entry = AuditEntry.objects.get(action="ownership.transferred")
    assert (entry.actor_email, entry.target) == ("owner@acme.test", "colleague@acme.test")
    assert entry.details == {"old": "member", "previous_owner": "owner@acme.test"}


def test_it_lets_the_former_owner_no_longer_act_as_owner(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    client.post(f"/t/acme/members/{team.colleague.public_id}/transfer/")
    assert client.post("/t/acme/settings/delete/", {"confirm": "acme"}).status_code == 403
    assert client.post(f"/t/acme/members/{team.colleague.public_id}/remove/").status_code == 403
    # and the new owner may now leave nothing ownerless: the old one is no longer an owner
    new_owner = Client()
    new_owner.force_login(team.colleague.user)
    assert new_owner.post("/t/acme/members/leave/").status_code == 409


def test_it_refuses_a_transfer_to_oneself(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post(f"/t/acme/members/{team.owner.public_id}/transfer/")
    assert response.status_code == 409
    assert "Choose someone else" in response.content.decode()
    assert role(team.owner) == "owner"


def test_it_answers_htmx_with_the_refreshed_panel(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post(
        f"/t/acme/members/{team.colleague.public_id}/transfer/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    panel = response.content.decode()
    assert panel.lstrip().startswith('<div id="team"')
    assert "now owns Acme" in panel
    assert "Transfer ownership" not in panel  # an admin now: no owner actions left


def test_it_gives_404_for_a_transfer_in_another_tenant(client: Client, team: Team) -> None:
    client.force_login(team.cast.other)
    assert client.post(f"/t/globex/members/{team.colleague.public_id}/transfer/").status_code == 404
    assert role(team.colleague) == "member"
