"""No way in after access is revoked: an open v1 socket is closed at once (the push), and if that push
is lost, its very next message is refused (the per-turn check); HTTP refuses the next request."""

import json
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from accounts.models import User
from accounts.sessions import end_all_sessions
from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from legacy.tests.v1 import api, ask, closed_with, socket, token_for
from tenants.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)
REFUSED = "You no longer have access to this workspace."


@pytest.fixture(autouse=True)
def handbook(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


@pytest.fixture
def no_push(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The push that closes sockets is lost (the channel layer was down): only the check each
    message makes can refuse it."""
    attempted: list[str] = []
    monkeypatch.setattr("tenants.consumers._close_group", attempted.append)
    return attempted


def member(cast: Cast) -> User:
    return User.objects.get(pk=cast.member.pk)


def ask_after(token: str, revoke: Callable[[], object]) -> tuple[list[dict], int]:
    """Open a socket and ask once (allowed), run `revoke`, ask again: (its frames, the close code)."""

    async def scenario() -> tuple[list[dict], int]:
        ws = socket(token)
        assert (await ws.connect())[0]
        assert (await ask(ws, "Refund policy?"))[-1]["type"] == "end"
        await database_sync_to_async(revoke)()
        frames = await ask(ws, "And now?")
        return frames, await closed_with(ws)

    return async_to_sync(scenario)()


def closed_by_push(token: str, revoke: Callable[[], object]) -> tuple[dict, int]:
    async def scenario() -> tuple[dict, int]:
        ws = socket(token)
        assert (await ws.connect())[0]
        await database_sync_to_async(revoke)()
        frame = json.loads(await ws.receive_from(timeout=3))
        return frame, await closed_with(ws)

    return async_to_sync(scenario)()


def refused(reply: tuple[list[dict], int]) -> bool:
    frames, code = reply
    return frames == [{"type": "error", "message": REFUSED, "code": "forbidden"}] and code == 4403


def questions() -> int:
    return Message.objects.filter(role=Message.Role.USER).count()


@pytest.mark.parametrize(
    "revoke",
    [
        lambda cast: end_all_sessions(member(cast)),
        lambda cast: Membership.objects.get(tenant=cast.acme, user=cast.member).delete(),
        lambda cast: User.objects.filter(pk=cast.member.pk).update(is_active=False),
    ],
    ids=["log-out-of-all-sessions", "membership-removed", "deactivated"],
)
def test_an_open_socket_refuses_the_next_message_even_when_the_push_is_lost(
    cast: Cast, llm: FakeLLM, no_push: list[str], revoke
) -> None:
    assert refused(ask_after(token_for(cast.member), lambda: revoke(cast)))
    assert questions() == 1 and len(llm.chats) == 1  # the second was neither saved nor sent


@pytest.mark.parametrize(
    "revoke",
    [
        lambda cast: end_all_sessions(member(cast)),
        lambda cast: Membership.objects.get(tenant=cast.acme, user=cast.member).delete(),
        lambda cast: (setattr(u := member(cast), "is_active", False), u.save()),
    ],
    ids=["log-out-of-all-sessions", "membership-removed", "deactivated"],
)
def test_an_open_socket_is_closed_at_once(cast: Cast, llm: FakeLLM, revoke) -> None:
    frame, code = closed_by_push(token_for(cast.member), lambda: revoke(cast))
    assert frame == {"type": "error", "message": REFUSED, "code": "forbidden"} and code == 4403


def test_a_colleagues_socket_is_left_alone(cast: Cast, llm: FakeLLM) -> None:
    owner_token = token_for(cast.owner)

    async def scenario() -> list[dict]:
        ws = socket(owner_token)
        assert (await ws.connect())[0]
        await database_sync_to_async(lambda: end_all_sessions(member(cast)))()
        assert await ws.receive_nothing(0.5)
        frames = await ask(ws, "Refund policy?")
        await ws.disconnect()
        return frames

    assert async_to_sync(scenario)()[-1]["type"] == "end"


def test_http_refuses_the_next_request_after_the_membership_is_removed(cast: Cast) -> None:
    client = api(cast.member)
    assert client.get("/v1/usage").status_code == 200
    Membership.objects.get(tenant=cast.acme, user=cast.member).delete()
    response = client.get("/v1/usage")
    assert (response.status_code, response.json()["message"]) == (404, "No such workspace.")
