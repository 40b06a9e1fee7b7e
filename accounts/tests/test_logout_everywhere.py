"""'Log out of all sessions' really ends every session: other browsers, this one, and sockets."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from docuchat.asgi import application
from docuchat.testing import Cast


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_logs_out_every_session_of_the_user_and_no_one_elses(cast: Cast) -> None:
    laptop, phone, colleague = browser(cast.member), browser(cast.member), browser(cast.owner)
    assert phone.get("/t/acme/").status_code == 200
    response = laptop.post("/account/sessions/end/")
    assert response.url == "/login/"
    assert "logged out of every session" in laptop.get("/login/").content.decode()
    for client in (laptop, phone):
        assert client.get("/t/acme/").url.startswith("/login/")
    assert colleague.get("/t/acme/").status_code == 200
    assert (
        browser(User.objects.get(pk=cast.member.pk)).get("/t/acme/").status_code == 200
    )  # signing in again works


@pytest.mark.django_db
def test_it_keeps_sessions_from_before_the_feature_valid(cast: Cast) -> None:
    """Generation 0 is Django's own hash, so existing sessions survive the upgrade."""
    from django.contrib.auth.base_user import AbstractBaseUser

    user = User.objects.get(pk=cast.member.pk)
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    User.objects.filter(pk=user.pk).update(session_generation=1)
    user.refresh_from_db()
    assert user.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(user)


@pytest.mark.django_db
def test_it_needs_a_post(cast: Cast) -> None:
    assert browser(cast.member).get("/account/sessions/end/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_it_closes_open_sockets_and_refuses_them_after(cast: Cast) -> None:
    laptop, phone = browser(cast.member), browser(cast.member)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"cookie", f"sessionid={phone.cookies['sessionid'].value}".encode())]  # fmt: skip
    socket = WebsocketCommunicator(application, "/ws/t/acme/chat/", headers=headers)
    again = WebsocketCommunicator(application, "/ws/t/acme/chat/", headers=headers)

    async def connect() -> None:
        assert (await socket.connect())[0]

    async def closed_and_refused() -> None:
        assert (await socket.receive_output(timeout=3))["type"] == "websocket.close"
        assert (await again.connect())[0] is False

    async def scenario() -> None:
        await connect()
        from channels.db import database_sync_to_async

        await database_sync_to_async(lambda: laptop.post("/account/sessions/end/"))()
        await closed_and_refused()

    async_to_sync(scenario)()
