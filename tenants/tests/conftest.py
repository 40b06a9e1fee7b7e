"""Extra people for the team tests, on top of the shared cast."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from docuchat.testing import Cast
from tenants.models import Membership


@dataclass
class Team:
    """Acme's people by role: owner, admin, member, plus `colleague`, a second member to act on."""

    cast: Cast
    owner: Membership
    admin: Membership
    member: Membership
    colleague: Membership


def add(cast: Cast, email: str, role: str) -> Membership:
    return Membership.objects.create(tenant=cast.acme, user=User.objects.for_email(email), role=role)


@pytest.fixture
def team(cast: Cast) -> Team:
    return Team(
        cast=cast,
        owner=Membership.objects.get(tenant=cast.acme, user=cast.owner),
        admin=add(cast, "admin@acme.test", Membership.Role.ADMIN),
        member=Membership.objects.get(tenant=cast.acme, user=cast.member),
        colleague=add(cast, "colleague@acme.test", Membership.Role.MEMBER),
    )


@pytest.fixture
def no_push(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The push that closes sockets is lost (as when the channel layer's database restarts): only
    the check each message makes can refuse it. Returns the groups a push was attempted to."""
    attempted: list[str] = []
    monkeypatch.setattr("tenants.consumers._close_group", attempted.append)
    return attempted
