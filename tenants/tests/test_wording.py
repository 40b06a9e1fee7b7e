"""Words a person reads: the invitation's welcome, and Django admin's name for audit entries."""

import pytest
from django.contrib import admin
from django.test import Client

from docuchat.testing import Cast
from tenants.models import AuditEntry, Membership
from tenants.tests.test_invitations import invite, link_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "words"), [("admin", "an admin"), ("member", "a member"), ("owner", "an owner")]
)
def test_it_welcomes_with_the_right_article(client: Client, cast: Cast, role: str, words: str) -> None:
    from django.core import mail

    Membership.objects.filter(user=cast.outsider).delete()
    owner = Client()
    owner.force_login(cast.owner)
    invite(owner, cast.outsider.email, role)
    client.force_login(cast.outsider)
    landing = client.get(link_in(mail.outbox[-1]))
    html = client.get(client.get(landing.url).url).content.decode()
    assert f"Welcome to Acme! You joined as {words}." in html


def test_it_names_audit_entries_in_the_plural_properly() -> None:
    assert AuditEntry._meta.verbose_name_plural == "audit entries"
    assert AuditEntry in admin.site._registry
