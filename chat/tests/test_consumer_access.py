import json

import pytest
from asgiref.sync import async_to_sync

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.ws import communicator, receive_until, signed_in
from docuchat.testing import Cast
from tenants.consumers import CLOSE_FORBIDDEN

pytestmark = pytest.mark.django_db(transaction=True)


def connect(headers, slug: str = "acme") -> tuple[bool, int | None]:
    async def scenario() -> tuple[bool, int | None]:
        ws = communicator(headers, slug)
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_it_accepts_members(cast: Cast) -> None:
    assert connect(signed_in(cast.member)) == (True, None)


def test_it_refuses_another_tenants_user(cast: Cast) -> None:
    assert connect(signed_in(cast.other)) == (False, CLOSE_FORBIDDEN)
    assert connect(signed_in(cast.other), "globex") == (True, None)


def test_it_refuses_people_in_no_tenant_and_anonymous_visitors(cast: Cast) -> None:
    assert connect(signed_in(cast.outsider)) == (False, CLOSE_FORBIDDEN)
    assert connect(signed_in(None)) == (False, CLOSE_FORBIDDEN)
    assert connect(signed_in(cast.member), "no-such-tenant") == (False, CLOSE_FORBIDDEN)


def test_it_refuses_a_foreign_origin(cast: Cast) -> None:
    connected, _ = connect(signed_in(cast.member, origin="https://evil.example"))
    assert not connected


def ask_alert(user, slug: str, **message) -> str:
    headers = signed_in(user)

    async def scenario() -> str:
        ws = communicator(headers, slug)
        await ws.connect()
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": "Hello?", **message}))
        frames = await receive_until(ws, lambda f: 'id="chat-alert"' in f and "alert-error" in f)
        await ws.disconnect()
        return frames[-1]

    return async_to_sync(scenario)()


def test_it_never_lets_anyone_else_use_a_persons_session(cast: Cast) -> None:
    mine = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Mine")

    assert "This conversation no longer exists." in ask_alert(cast.owner, "acme", session=str(mine.public_id))
    assert "This conversation no longer exists." in ask_alert(
        cast.other, "globex", session=str(mine.public_id)
    )
    assert "no longer exists" in ask_alert(cast.member, "acme", session="not-a-uuid")
    assert not Message.objects.exists()


def test_it_never_restricts_a_session_to_another_tenants_documents(cast: Cast) -> None:
    theirs = make_document(cast.globex, "Globex plans", ["Secret plans."])

    alert = ask_alert(cast.member, "acme", documents=[str(theirs.public_id)])

    assert "The documents you chose are no longer available." in alert
    assert not ChatSession.objects.exists()


def test_it_explains_an_empty_question_and_an_unknown_model(cast: Cast) -> None:
    assert "Type a question first." in ask_alert(cast.member, "acme", message="   ")
    assert "That model is not available here." in ask_alert(cast.member, "acme", model="gpt-9-ultra")
    assert "Questions are limited to 4,000 characters" in ask_alert(cast.member, "acme", message="x" * 4001)
