"""The default channel layer (PostgreSQL, used without REDIS_URL) forgets a socket when it closes."""

from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from channels_postgres.models import GroupChannel
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.asgi import application
from docuchat.testing import Cast, socket_headers

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def postgres_layer(settings: SettingsWrapper) -> Iterator[None]:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_postgres.core.PostgresChannelLayer",
            "CONFIG": settings.DATABASES["default"],
        }
    }
    yield


@database_sync_to_async
def group_memberships() -> list[str]:
    return list(GroupChannel.objects.using("channels_postgres").values_list("group_key", flat=True))


def test_it_removes_a_closed_socket_from_its_groups(cast: Cast, postgres_layer: None) -> None:
    headers = socket_headers(cast.member)

    async def scenario() -> tuple[list[str], list[str]]:
        from channels_postgres import db

        ws = WebsocketCommunicator(application, "/ws/t/acme/documents/", headers=headers)
        try:
            connected, _ = await ws.connect()
            assert connected
            joined = await group_memberships()
            await ws.disconnect()
            return joined, await group_memberships()
        finally:
            if db.connection_pool is not None:  # no connection may outlive the test database
                await db.connection_pool.close()
                db.connection_pool = None

    joined, left = async_to_sync(scenario)()

    assert len(joined) == 3  # the tenant's group, the member's own and their browser session's
    assert left == []
