import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from docuchat.testing import Cast
from tenants.invitations import hash_token
from tenants.models import AuditEntry, Invitation, Membership

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/invite/[\w-]+/)")


def invite(client: Client, email: str = "new@acme.test", role: str = "member"):
    return client.post("/t/acme/members/invite/", {"email": email, "role": role})


def link_in(message: mail.EmailMessage) -> str:
    return LINK.search(message.body).group(1)


def sign_in(client: Client, email: str, next_url: str) -> None:
    """The usual email-code sign-in, from the login page an invitation sends you to."""
    assert client.post(f"/login/?next={next_url}", {"email": email}).status_code == 302
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert client.post("/login/code/", {"code": code}).status_code == 302


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


def test_it_invites_by_email_and_the_invitee_joins_after_signing_in(owner: Client, cast: Cast) -> None:
    response = invite(owner, "New@Acme.test", "admin")
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new@acme.test"]
    assert "You're invited to Acme" in mail.outbox[-1].subject
    assert "as admin" in mail.outbox[-1].body
    link = link_in(mail.outbox[-1])

    guest = Client()
    response = guest.get(link)
    assert response.url == "/invite/"  # the token leaves the address bar at once
    page = guest.get("/invite/")
    assert "Join Acme" in page.content.decode()
    assert "/login/?next=%2Finvite%2F" in page.content.decode()
    assert 'value="new@acme.test"' in guest.get("/login/").content.decode()  # the email is filled in

    sign_in(guest, "new@acme.test", "/invite/")
    response = guest.get("/invite/")
    assert response.url == "/t/acme/"
    assert Membership.objects.get(tenant=cast.acme, user__email="new@acme.test").role == "admin"
    assert "Welcome to Acme" in guest.get("/t/acme/").content.decode()


def test_it_accepts_at_once_when_already_signed_in(owner: Client, cast: Cast) -> None:
    Membership.objects.filter(user=cast.outsider).delete()
    invite(owner, cast.outsider.email)
    guest = Client()
    guest.force_login(cast.outsider)
    assert guest.get(guest.get(link_in(mail.outbox[-1])).url).url == "/t/acme/"
    assert Membership.objects.filter(tenant=cast.acme, user=cast.outsider, role="member").exists()


def test_it_stores_only_a_hash_of_the_token(owner: Client) -> None:
    invite(owner)
    token = link_in(mail.outbox[-1]).split("/")[2]
    stored = Invitation.objects.get()
    assert token not in stored.token_hash
    assert stored.token_hash == hash_token(token)
    assert len(token) >= 40  # 256 random bits


def test_it_refuses_an_expired_invitation(owner: Client, cast: Cast) -> None:
    invite(owner)
    guest = Client()
    guest.force_login(cast.outsider)
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = guest.get(guest.get(link_in(mail.outbox[-1])).url)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(tenant=cast.acme, user__email="new@acme.test").exists()


def test_it_accepts_an_invitation_just_before_it_expires(owner: Client, cast: Cast) -> None:
    invite(owner, cast.outsider.email)
    guest = Client()
    guest.force_login(cast.outsider)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert guest.get(guest.get(link_in(mail.outbox[-1])).url).url == "/t/acme/"


def test_it_refuses_a_revoked_invitation(owner: Client, cast: Cast) -> None:
    invite(owner, cast.outsider.email)
    invitation = Invitation.objects.get()
    assert owner.post(f"/t/acme/members/invitations/{invitation.public_id}/revoke/").status_code == 302
    guest = Client()
    guest.force_login(cast.outsider)
    response = guest.get(guest.get(link_in(mail.outbox[-1])).url)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert not Membership.objects.filter(tenant=cast.acme, user=cast.outsider).exists()
    assert AuditEntry.objects.filter(action="invitation.revoked", target=cast.outsider.email).exists()


def test_it_refuses_a_reused_invitation(owner: Client, cast: Cast) -> None:
    invite(owner, cast.outsider.email)
    link = link_in(mail.outbox[-1])
    first = Client()
    first.force_login(cast.outsider)
    assert first.get(first.get(link).url).url == "/t/acme/"
    Membership.objects.filter(tenant=cast.acme, user=cast.outsider).delete()  # removed since
    again = Client()
    again.force_login(cast.outsider)
    response = again.get(again.get(link).url)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(tenant=cast.acme, user=cast.outsider).exists()


def test_it_resends_with_a_new_link_and_kills_the_old_one(owner: Client, cast: Cast) -> None:
    invite(owner, cast.outsider.email)
    old_link = link_in(mail.outbox[-1])
    invitation = Invitation.objects.get()
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        response = owner.post(f"/t/acme/members/invitations/{invitation.public_id}/resend/")
        assert response.status_code == 302
    new_link = link_in(mail.outbox[-1])
    assert new_link != old_link
    invitation.refresh_from_db()
    assert invitation.expires - invitation.sent == timedelta(days=7)
    guest = Client()
    guest.force_login(cast.outsider)
    assert guest.get(guest.get(old_link).url).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=10)):  # past the first expiry
        assert guest.get(guest.get(new_link).url).url == "/t/acme/"


def test_it_resends_when_inviting_the_same_email_again(owner: Client) -> None:
    invite(owner)
    response = owner.post("/t/acme/members/invite/", {"email": "new@acme.test", "role": "admin"}, follow=True)
    assert "re-sent" in response.content.decode()
    assert Invitation.objects.get().role == "admin"
    assert len(mail.outbox) == 2


def test_it_says_when_the_person_is_already_a_member(owner: Client, cast: Cast) -> None:
    response = invite(owner, "Member@acme.test")
    assert response.status_code == 409
    assert "member@acme.test is already a member of Acme" in response.content.decode()
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_it_refuses_an_invitation_for_another_email(owner: Client, cast: Cast) -> None:
    invite(owner, "new@acme.test")
    link = link_in(mail.outbox[-1])
    wrong = Client()
    wrong.force_login(cast.outsider)
    response = wrong.get(wrong.get(link).url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "This invitation is for new@acme.test, but you are signed in as nobody@elsewhere.test" in page
    assert not Membership.objects.filter(tenant=cast.acme, user=cast.outsider).exists()
    assert Invitation.objects.get().accepted is None  # still usable by the right person
    # "Log out and switch account" keeps the invitation and leads to signing in as the invited email
    response = wrong.post("/logout/", {"next": "/invite/"})
    assert response.url == "/invite/"
    assert "Sign in as new@acme.test to join" in wrong.get("/invite/").content.decode()
    sign_in(wrong, "new@acme.test", "/invite/")
    assert wrong.get("/invite/").url == "/t/acme/"


def test_it_explains_a_link_that_is_not_valid(client: Client, cast: Cast) -> None:
    response = client.get(client.get("/invite/not-a-real-token/").url)
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert client.get("/invite/").status_code == 404  # nothing in the session any more


def test_it_validates_the_invitation_form(owner: Client) -> None:
    response = invite(owner, "not-an-email")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert mail.outbox == []


@override_settings(INVITE_RATE_PER_USER="3/h")
def test_it_rate_limits_invitations_per_person(owner: Client) -> None:
    for i in range(3):
        assert invite(owner, f"p{i}@acme.test").status_code == 302
    response = invite(owner, "p9@acme.test")
    assert response.status_code == 429
    assert "many invitations" in response.content.decode()
    assert len(mail.outbox) == 3


@override_settings(INVITE_RATE_PER_TENANT="2/d")
def test_it_rate_limits_invitations_per_workspace(owner: Client, cast: Cast) -> None:
    Membership.objects.create(tenant=cast.acme, user=cast.outsider, role="admin")
    assert invite(owner, "a@acme.test").status_code == 302
    assert invite(owner, "b@acme.test").status_code == 302
    admin = Client()
    admin.force_login(cast.outsider)
    assert invite(admin, "c@acme.test").status_code == 429


def test_it_audits_invited_and_joined(owner: Client, cast: Cast) -> None:
    invite(owner, cast.outsider.email, "admin")
    guest = Client()
    guest.force_login(cast.outsider)
    guest.get(guest.get(link_in(mail.outbox[-1])).url)
    entries = list(AuditEntry.objects.filter(tenant=cast.acme).order_by("created", "pk"))
    assert [(e.action, e.actor_email, e.target) for e in entries] == [
        ("member.invited", "owner@acme.test", cast.outsider.email),
        ("member.joined", cast.outsider.email, cast.outsider.email),
    ]
    assert entries[1].details == {"role": "admin", "invited_by": "owner@acme.test"}


def test_it_lets_an_admin_see_but_not_touch_an_owner_invitation(owner: Client, cast: Cast) -> None:
    invite(owner, "boss2@acme.test", "owner")
    Membership.objects.create(tenant=cast.acme, user=cast.outsider, role="admin")
    admin = Client()
    admin.force_login(cast.outsider)
    page = admin.get("/t/acme/members/").content.decode()
    assert "boss2@acme.test" in page
    invitation = Invitation.objects.get()
    assert f"{invitation.public_id}/revoke/" not in page
    assert admin.post(f"/t/acme/members/invitations/{invitation.public_id}/revoke/").status_code == 403
    assert invite(admin, "boss2@acme.test", "member").status_code == 403  # nor rewrite it
    assert Invitation.objects.get().role == "owner"


def test_it_hides_another_tenants_invitations(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    invite(client)
    invitation = Invitation.objects.get()
    other = Client()
    other.force_login(cast.other)
    assert other.post(f"/t/globex/members/invitations/{invitation.public_id}/revoke/").status_code == 404
    assert other.post(f"/t/acme/members/invitations/{invitation.public_id}/revoke/").status_code == 404
    assert Invitation.objects.get().revoked is None
