"""A change and its audit entry are written together or not at all.

Each test makes writing the audit entry fail and checks that the change itself did not stay:
without a transaction around both, the row was saved and the audit log never heard of it.
"""

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from docuchat.testing import Cast
from tenants import invitations
from tenants.models import AuditEntry, Invitation, Membership
from usage.management.commands import set_quota
from usage.models import Quota

pytestmark = pytest.mark.django_db


class AuditDown(Exception):
    pass


@pytest.fixture
def failing_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AuditDown

    monkeypatch.setattr("tenants.audit.record", fail)
    monkeypatch.setattr(set_quota, "record", fail)  # imported by name there


@pytest.fixture
def invitation(cast: Cast) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        tenant=cast.acme, email="new@acme.test", role="member", token_hash="old",
        invited_by=cast.owner, sent=now, expires=now + invitations.INVITATION_TTL,
    )  # fmt: skip


def owner_of(cast: Cast) -> Membership:
    return Membership.objects.select_related("tenant", "user").get(tenant=cast.acme, user=cast.owner)


def test_it_keeps_the_old_link_when_a_resend_cannot_be_audited(
    cast: Cast, invitation: Invitation, failing_audit: None
) -> None:
    with pytest.raises(AuditDown):
        invitations.resend(owner_of(cast), invitation, lambda token: f"/invite/{token}/")
    invitation.refresh_from_db()
    assert invitation.token_hash == "old"


def test_it_keeps_an_invitation_open_when_its_revocation_cannot_be_audited(
    cast: Cast, invitation: Invitation, failing_audit: None
) -> None:
    with pytest.raises(AuditDown):
        invitations.revoke(owner_of(cast), invitation)
    invitation.refresh_from_db()
    assert invitation.revoked is None


def test_it_keeps_the_settings_when_their_change_cannot_be_audited(
    client: Client, cast: Cast, failing_audit: None
) -> None:
    client.force_login(cast.owner)
    with pytest.raises(AuditDown):
        client.post(
            "/t/acme/settings/", {"name": "Renamed", "assistant_instructions": "", "default_model": ""}
        )
    cast.acme.refresh_from_db()
    assert cast.acme.name == "Acme"


def test_it_keeps_the_budget_when_its_change_cannot_be_audited(cast: Cast, failing_audit: None) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    with pytest.raises(AuditDown):
        call_command("set_quota", "acme", "--monthly-tokens", "5000")
    assert Quota.objects.get(tenant=cast.acme).monthly_tokens == 1000


def test_it_writes_the_change_and_its_entry_together_when_all_is_well(cast: Cast) -> None:
    call_command("set_quota", "acme", "--monthly-tokens", "5000")
    assert Quota.objects.get(tenant=cast.acme).monthly_tokens == 5000
    assert AuditEntry.objects.filter(tenant=cast.acme, action=AuditEntry.Action.QUOTA_CHANGED).count() == 1
    assert not AuditEntry.objects.filter(tenant=cast.globex).exists()  # the other tenant's log is untouched
