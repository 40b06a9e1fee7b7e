"""Every team and settings action, for the owner, admin, member, another tenant's user, and anonymous.

Refused requests (403, 404, the anonymous redirect) must also leave everything as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tenants.models import Invitation, Membership, Tenant
from tenants.tests.conftest import Team

URL = Callable[[Team], str]


@dataclass
class Action:
    name: str
    method: str
    url: URL
    expect: dict[str, int]  # owner, admin, member
    data: dict[str, str] = field(default_factory=dict)


def member_url(what: str, who: str) -> URL:
    return lambda t: f"/t/acme/members/{getattr(t, who).public_id}/{what}/"


def invitation_url(what: str) -> URL:
    return lambda t: f"/t/acme/members/invitations/{pending_invitation(t).public_id}/{what}/"


def pending_invitation(t: Team) -> Invitation:
    return Invitation.objects.get(tenant=t.cast.acme, email="invited@acme.test")


def rights(owner: int, admin: int, member: int) -> dict[str, int]:
    return {"owner": owner, "admin": admin, "member": member}


def static(path: str) -> URL:
    return lambda t: path


ACTIONS = [
    Action("view members", "get", static("/t/acme/members/"), rights(200, 200, 200)),
    Action("invite a member", "post", static("/t/acme/members/invite/"),
           rights(302, 302, 403), {"email": "new@acme.test", "role": "member"}),
    Action("invite an owner", "post", static("/t/acme/members/invite/"),
           rights(302, 403, 403), {"email": "new@acme.test", "role": "owner"}),
    Action("re-send an invitation", "post", invitation_url("resend"), rights(302, 302, 403)),
    Action("revoke an invitation", "post", invitation_url("revoke"), rights(302, 302, 403)),
    Action("make a member admin", "post", member_url("role", "colleague"),
           rights(302, 302, 403), {"role": "admin"}),
    Action("make a member owner", "post", member_url("role", "colleague"),
           rights(302, 403, 403), {"role": "owner"}),
    Action("demote the owner", "post", member_url("role", "owner"),
           rights(409, 403, 403), {"role": "member"}),
    Action("remove a member", "post", member_url("remove", "colleague"), rights(302, 302, 403)),
    Action("remove the owner", "post", member_url("remove", "owner"), rights(409, 403, 403)),
    Action("transfer ownership", "post", member_url("transfer", "colleague"),
           rights(302, 403, 403)),
    Action("leave", "post", static("/t/acme/members/leave/"), rights(409, 302, 302)),
    Action("view settings", "get", static("/t/acme/settings/"), rights(200, 200, 403)),
    Action("change settings", "post", static("/t/acme/settings/"), rights(302, 302, 403),
           {"name": "Acme Renamed"}),
    Action("delete the workspace", "post", static("/t/acme/settings/delete/"),
           rights(302, 403, 403), {"confirm": "acme"}),
    Action("view the audit log", "get", static("/t/acme/audit/"), rights(200, 200, 403)),
    Action("view the evaluation page", "get", static("/t/acme/evaluation/"), rights(200, 200, 403)),
    Action("run the evaluation", "post", static("/t/acme/evaluation/runs/"), rights(302, 302, 403)),
]  # fmt: skip


def snapshot(t: Team) -> tuple[object, ...]:
    tenant = Tenant.objects.filter(pk=t.cast.acme.pk).values_list("name").first()
    roles = sorted(Membership.objects.filter(tenant=t.cast.acme).values_list("user__email", "role"))
    invitations = sorted(Invitation.objects.values_list("email", "token_hash", "revoked"))
    return tenant, roles, invitations


def run(client: Client, action: Action, t: Team):
    return getattr(client, action.method)(action.url(t), action.data)


@pytest.fixture
def t(team: Team, client: Client) -> Team:
    """The team, with a pending invitation to act on (created by the owner through the page)."""
    client.force_login(team.cast.owner)
    client.post("/t/acme/members/invite/", {"email": "invited@acme.test", "role": "member"})
    client.logout()
    return team


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_it_gives_each_role_its_rights(client: Client, t: Team, action: Action, role: str) -> None:
    client.force_login(getattr(t, role).user)
    before = snapshot(t)
    response = run(client, action, t)
    assert response.status_code == action.expect[role], response.content.decode()[:500]
    if response.status_code in (403, 409):
        assert snapshot(t) == before
    if response.status_code == 403:
        assert "only" in response.content.decode().lower() or "cannot" in response.content.decode()


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_it_gives_404_to_another_tenants_user(client: Client, t: Team, action: Action) -> None:
    client.force_login(t.cast.other)
    before = snapshot(t)
    assert run(client, action, t).status_code == 404
    assert snapshot(t) == before


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_it_sends_anonymous_users_to_login(client: Client, t: Team, action: Action) -> None:
    before = snapshot(t)
    response = run(client, action, t)
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")
    assert snapshot(t) == before


def test_it_gives_404_for_another_tenants_member_even_to_an_owner(client: Client, t: Team) -> None:
    globex_owner = Membership.objects.get(tenant=t.cast.globex)
    client.force_login(t.owner.user)
    for what in ("role", "remove", "transfer"):
        response = client.post(f"/t/acme/members/{globex_owner.public_id}/{what}/", {"role": "member"})
        assert response.status_code == 404, what
    assert Membership.objects.get(pk=globex_owner.pk).role == "owner"
