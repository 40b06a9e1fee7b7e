"""Every team and settings action, for the owner, admin, member, another tenant's user, and anonymous.

Refused requests (403, 404, the anonymous redirect) must also leave everything as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from api import keys as api_keys
from api.models import ApiKey
from assistants.models import Assistant, InstructionBlock
from chat.models import ChatSession, Message, SavedAnswer
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


ASSISTANT = {
    "name": "Support", "all_documents": "true", "visitor_daily_messages": "50", "conversation_messages": "30",
    "ip_minute_messages": "10", "accent_color": "#2563eb", "position": "right", "theme": "light",
}  # fmt: skip


def support(t: Team) -> Assistant:
    return Assistant.objects.get(tenant=t.cast.acme, name="Support")


def assistant_url(what: str) -> URL:
    return lambda t: f"/t/acme/assistants/{support(t).public_id}/{what}"


def default_assistant_url(what: str) -> URL:
    return lambda t: (
        f"/t/acme/assistants/{Assistant.objects.get(tenant=t.cast.acme, is_default=True).public_id}/{what}"
    )


def block_url(what: str) -> URL:
    return lambda t: (
        f"/t/acme/assistants/instructions/{support(t).instruction_blocks.first().public_id}/{what}/"
    )


def website_chat(t: Team) -> ChatSession:
    return ChatSession.objects.get(tenant=t.cast.acme, user__isnull=True)


def conversation_url(what: str) -> URL:
    return lambda t: f"/t/acme/conversations/{website_chat(t).public_id}/{what}"


def website_answer_url(t: Team) -> str:
    return f"/t/acme/chat/messages/{website_chat(t).messages.get(role='assistant').public_id}/save/"


def saved_url(t: Team) -> str:
    return f"/t/acme/chat/saved/{SavedAnswer.objects.get(tenant=t.cast.acme).public_id}/delete/"


def key_url(what: str) -> URL:
    return lambda t: f"/t/acme/api-keys/{ApiKey.objects.get(tenant=t.cast.acme).public_id}/{what}/"


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
    Action("view assistants", "get", static("/t/acme/assistants/"), rights(200, 200, 403)),
    Action("create an assistant", "post", static("/t/acme/assistants/new/"), rights(302, 302, 403),
           {**ASSISTANT, "name": "Sales"}),
    Action("edit an assistant", "post", assistant_url(""), rights(302, 302, 403),
           {**ASSISTANT, "greeting": "Changed"}),
    Action("delete an assistant", "post", assistant_url("delete/"), rights(302, 302, 403)),
    Action("delete the default assistant", "post", default_assistant_url("delete/"), rights(409, 409, 403)),
    Action("add an instruction", "post", assistant_url("instructions/"), rights(302, 302, 403),
           {"text": "Be kind."}),
    Action("edit an instruction", "post", block_url("edit"), rights(302, 302, 403), {"text": "Changed."}),
    Action("switch an instruction off", "post", block_url("toggle"), rights(302, 302, 403)),
    Action("move an instruction", "post", block_url("move"), rights(302, 302, 403), {"direction": "down"}),
    Action("delete an instruction", "post", block_url("delete"), rights(302, 302, 403)),
    Action("view conversations", "get", static("/t/acme/conversations/"), rights(200, 200, 200)),
    Action("read a website conversation", "get", conversation_url(""), rights(200, 200, 403)),
    Action("export conversations", "get", static("/t/acme/conversations/export.csv"), rights(200, 200, 403)),
    Action("view an assistant's analytics", "get", assistant_url("analytics/"), rights(200, 200, 403)),
    Action("save a website answer", "post", website_answer_url, rights(302, 302, 404)),
    Action("view saved answers", "get", static("/t/acme/chat/saved/"), rights(200, 200, 200)),
    Action("delete a saved answer", "post", saved_url, rights(302, 302, 302)),
    Action("view API keys", "get", static("/t/acme/api-keys/"), rights(200, 200, 403)),
    Action("create an API key", "post", static("/t/acme/api-keys/"), rights(200, 200, 403),
           {"name": "New", "scopes": "chat", "rate_per_minute": "60"}),
    Action("rotate an API key", "post", key_url("rotate"), rights(200, 200, 403), {"grace_hours": "1"}),
    Action("revoke an API key", "post", key_url("revoke"), rights(302, 302, 403)),
    Action("change an API key's limits", "post", key_url("limits"), rights(302, 302, 403),
           {"rate_per_minute": "5"}),
]  # fmt: skip


def snapshot(t: Team) -> tuple[object, ...]:
    tenant = Tenant.objects.filter(pk=t.cast.acme.pk).values_list("name").first()
    roles = sorted(Membership.objects.filter(tenant=t.cast.acme).values_list("user__email", "role"))
    invitations = sorted(Invitation.objects.values_list("email", "token_hash", "revoked"))
    assistants = sorted(Assistant.objects.values_list("tenant_id", "name", "greeting"))
    blocks = sorted(InstructionBlock.objects.values_list("assistant_id", "position", "text", "enabled"))
    saved = sorted(SavedAnswer.objects.values_list("tenant_id", "answer"))
    keys = sorted(
        ApiKey.objects.values_list("tenant_id", "name", "secret_hash", "revoked", "rate_per_minute")
    )
    return tenant, roles, invitations, assistants, blocks, saved, keys


def run(client: Client, action: Action, t: Team):
    return getattr(client, action.method)(action.url(t), action.data)


@pytest.fixture
def t(team: Team, client: Client) -> Team:
    """The team, with a pending invitation to act on (created by the owner through the page)."""
    client.force_login(team.cast.owner)
    client.post("/t/acme/members/invite/", {"email": "invited@acme.test", "role": "member"})
    client.logout()
    assistant = Assistant.objects.create(tenant=team.cast.acme, name="Support")
    InstructionBlock.objects.create(assistant=assistant, text="Be brief.")
    InstructionBlock.objects.create(assistant=assistant, text="Be polite.", position=1)
    chat = ChatSession.objects.create(
        tenant=team.cast.acme, assistant=assistant, title="A visitor's question"
    )
    Message.objects.create(session=chat, role="user", content="Shipping?")
    Message.objects.create(session=chat, role="assistant", content="Two days.")
    SavedAnswer.objects.create(tenant=team.cast.acme, question="Refunds?", answer="30 days.")
    api_keys.create(team.cast.acme, None, "Help desk", ["chat"])
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
