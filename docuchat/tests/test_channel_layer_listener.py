"""The PostgreSQL channel layer opens one LISTEN connection per process, even for a burst of
sockets arriving before it is connected (bench/widget.py's 200 visitors on a fresh process
opened one each, until PostgreSQL refused every other client)."""

import asyncio

from django.conf import settings

from docuchat.lib.channel_layer import ResilientPostgresChannelLayer


def test_it_starts_one_listener_for_a_burst_of_receives_and_another_after_it_ends() -> None:
    async def scenario() -> tuple[list[bool], bool]:
        layer = ResilientPostgresChannelLayer(**settings.DATABASES["default"])
        burst = [layer._get_or_create_listener_task()[1] for _ in range(50)]  # none connected yet

        async def shut_down() -> None:
            return None

        layer._listen_until_shutdown = shut_down  # type: ignore[method-assign]
        await layer.listen_to_all_channels()  # the listener ended (told to shut down)
        return burst, layer._get_or_create_listener_task()[1]

    burst, after_end = asyncio.run(scenario())
    assert burst.count(True) == 1 and burst[0]
    assert after_end  # the next receive starts a listener again
