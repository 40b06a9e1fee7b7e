"""The role rules themselves, as other apps (documents, chat, usage) call them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from tenants import permissions as p
from tenants.models import Membership


def m(role: str, user_id: int = 1) -> Membership:
    return Membership(role=role, user_id=user_id)


OWNER, ADMIN, MEMBER = m("owner", 1), m("admin", 2), m("member", 3)


def test_it_lets_owners_manage_anyone_and_admins_anyone_but_owners() -> None:
    assert [p.can_manage_members(OWNER, t) for t in (OWNER, ADMIN, MEMBER)] == [True, True, True]
    assert [p.can_manage_members(ADMIN, t) for t in (OWNER, ADMIN, MEMBER)] == [False, True, True]
    assert [p.can_manage_members(MEMBER, t) for t in (OWNER, ADMIN, MEMBER)] == [False, False, False]


def test_it_lets_only_owners_grant_owner() -> None:
    assert [r for r, _ in p.grantable_roles(OWNER)] == ["owner", "admin", "member"]
    assert [r for r, _ in p.grantable_roles(ADMIN)] == ["admin", "member"]
    assert p.grantable_roles(MEMBER) == []
    assert p.can_invite(ADMIN, "member") and not p.can_invite(ADMIN, "owner")
    assert not p.can_grant_role(OWNER, "emperor")


@pytest.mark.parametrize(
    ("check", "owner", "admin", "member"),
    [
        (p.can_manage_settings, True, True, False),
        (p.can_view_audit, True, True, False),
        (p.can_manage_documents, True, True, False),
        (p.can_delete_workspace, True, False, False),
        (p.can_transfer_ownership, True, False, False),
    ],
)
def test_it_gives_each_role_its_workspace_rights(check, owner: bool, admin: bool, member: bool) -> None:
    assert (check(OWNER), check(ADMIN), check(MEMBER)) == (owner, admin, member)


def test_it_shows_a_member_only_their_own_usage() -> None:
    assert p.can_view_usage(MEMBER, user_id=3)
    assert not p.can_view_usage(MEMBER, user_id=1)
    assert not p.can_view_usage(MEMBER)
    assert p.can_view_usage(ADMIN, user_id=3) and p.can_view_usage(OWNER)


def test_require_role_refuses_other_roles_with_a_message() -> None:
    @p.require_role(*p.MANAGERS)
    def view(request: object) -> HttpResponse:
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.membership = ADMIN
    assert view(request).content == b"ok"
    request.membership = MEMBER
    with pytest.raises(PermissionDenied, match="Owners and admins only"):
        view(request)
    del request.membership
    with pytest.raises(PermissionDenied):
        view(request)


def test_it_has_no_rule_that_only_the_tests_use() -> None:
    """A rule nobody calls says one thing while the views do another: each one is used by the app."""
    import inspect
    import re
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.BASE_DIR)
    app_code = "".join(
        path.read_text()
        for package in base.iterdir()
        if (package / "__init__.py").exists()
        for path in package.rglob("*.py")
        if "tests" not in path.parts and path.name != "permissions.py"
    )
    rules = [name for name, f in inspect.getmembers(p, inspect.isfunction) if name.startswith("can_")]
    unused = [name for name in rules if not re.search(rf"\b{name}\b", app_code)]
    assert rules and unused == []
