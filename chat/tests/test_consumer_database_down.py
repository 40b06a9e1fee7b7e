"""A question that arrives while the database is down gets a clear "temporarily unavailable"."""

import json
import logging

import psycopg
import pytest
from asgiref.sync import async_to_sync
from django.db.backends.postgresql.base import DatabaseWrapper

from chat.models import Message
from chat.tests.ws import communicator, receive_until, signed_in
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_says_the_service_is_unavailable_and_answers_again_once_it_is_back(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    headers = signed_in(cast.member)
    real_connect = DatabaseWrapper.get_new_connection

    def refused(self: DatabaseWrapper, params: dict) -> object:
        raise psycopg.OperationalError("connection refused: is the server running?")

    async def scenario() -> tuple[str, str]:
        ws = communicator(headers)
        assert (await ws.connect())[0]
        monkeypatch.setattr(DatabaseWrapper, "get_new_connection", refused)  # new connections fail
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": "Refunds?"}))
        down = (await receive_until(ws, lambda f: "alert-error" in f))[-1]
        monkeypatch.setattr(DatabaseWrapper, "get_new_connection", real_connect)
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": "Refunds?"}))
        back = (await receive_until(ws))[-1]
        await ws.disconnect()
        return down, back

    with caplog.at_level(logging.ERROR):
        down, back = async_to_sync(scenario)()

    assert "DocuChat is temporarily unavailable (its database is not answering)." in down
    assert "database error" in caplog.text
    assert 'data-status="complete"' in back
    assert Message.objects.filter(role=Message.Role.USER).count() == 1
