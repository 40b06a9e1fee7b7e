from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from docuchat.testing import Cast
from tenants.models import Membership, Tenant

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_creates_a_tenant_with_its_owner() -> None:
    assert "Created tenant 'beta'" in run(
        "create_tenant", "beta", "--name", "Beta Co", "--owner", "Ann@Beta.test"
    )
    membership = Membership.objects.get(tenant__slug="beta")
    assert (membership.tenant.name, membership.user.email, membership.role) == (
        "Beta Co",
        "ann@beta.test",
        "owner",
    )
    assert not membership.user.has_usable_password()


def test_it_refuses_a_duplicate_slug(cast: Cast) -> None:
    with pytest.raises(CommandError, match="“acme” is taken"):
        run("create_tenant", "acme", "--name", "Again", "--owner", "a@b.test")


def test_it_refuses_an_invalid_slug() -> None:
    with pytest.raises(CommandError, match="lowercase letters"):
        run("create_tenant", "Not OK", "--name", "x", "--owner", "a@b.test")


def test_it_refuses_an_invalid_email() -> None:
    with pytest.raises(CommandError, match="Invalid email address: 'nope'"):
        run("create_tenant", "beta", "--name", "Beta", "--owner", "nope")
    assert not Tenant.objects.filter(slug="beta").exists()


def test_it_ensures_an_existing_tenant_with_exist_ok(cast: Cast) -> None:
    out = run("create_tenant", "acme", "--name", "Acme", "--owner", "owner@acme.test", "--exist-ok")
    assert "already exists" in out
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_it_adds_a_member_with_a_role(cast: Cast) -> None:
    assert "Added new@acme.test as admin" in run("add_member", "acme", "new@acme.test", "--role", "admin")
    assert Membership.objects.get(tenant=cast.acme, user__email="new@acme.test").role == "admin"


def test_it_changes_the_role_of_an_existing_member(cast: Cast) -> None:
    assert "Changed member@acme.test as admin" in run(
        "add_member", "acme", "member@acme.test", "--role", "admin"
    )


def test_it_refuses_to_add_to_an_unknown_tenant(db: None) -> None:
    with pytest.raises(CommandError, match="Unknown tenant 'nope'"):
        run("add_member", "nope", "a@b.test")
    assert not User.objects.filter(email="a@b.test").exists()


def test_it_refuses_an_invalid_member_email(cast: Cast) -> None:
    with pytest.raises(CommandError, match="Invalid email address"):
        run("add_member", "acme", "bad@")


def test_it_refuses_an_unknown_role(cast: Cast) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        run("add_member", "acme", "a@b.test", "--role", "boss")


def test_it_says_when_nothing_changes(cast: Cast) -> None:
    with pytest.raises(CommandError, match="already a member"):
        run("add_member", "acme", "member@acme.test", "--role", "member")


def test_it_never_demotes_the_last_owner(cast: Cast) -> None:
    with pytest.raises(CommandError, match="last owner"):
        run("add_member", "acme", "owner@acme.test", "--role", "member")
