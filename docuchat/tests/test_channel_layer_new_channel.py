"""A message sent to a new channel before its first receive() arrives (the PostgreSQL layer)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from docuchat.lib.channel_layer import ResilientPostgresChannelLayer

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_it_delivers_what_was_sent_before_the_first_receive() -> None:
    async def scenario() -> list[dict[str, str]]:
        from channels_postgres import db

        layer = ResilientPostgresChannelLayer(**settings.DATABASES["default"])
        received = []
        try:
            for n in range(5):
                channel = await layer.new_channel()
                await layer.send(channel, {"type": "ping", "n": str(n)})
                await asyncio.sleep(0.05)  # the listener (from n=1) has the notification first
                async with asyncio.timeout(5):
                    received.append(await layer.receive(channel))
        finally:
            if db.connection_pool is not None:  # no connection may outlive the test database
                await db.connection_pool.close()
                db.connection_pool = None
        return received

    received = async_to_sync(scenario)()

    assert [message["n"] for message in received] == ["0", "1", "2", "3", "4"]
