"""What /healthz and `manage.py status` check: a list of named parts, each a function that raises
when its part is failing. Another app adds a part with `register("name", check)` in its
AppConfig.ready(); the order of registration is the order of the report.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from docuchat.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class Failing(Exception):
    """A part is failing for a reason worth a plain sentence (not an exception from a library)."""


@dataclass(frozen=True)
class Part:
    name: str
    check: Callable[[], None]


PARTS: list[Part] = []


def register(name: str, check: Callable[[], None]) -> None:
    """Add a part (or replace the one of that name), reported after those already there."""
    PARTS[:] = [*(p for p in PARTS if p.name != name), Part(name, check)]


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("healthz", "ok", 5)
    if cache.get("healthz") != "ok":
        raise Failing("the cache did not keep a value")


def check_channel_layer() -> None:
    async_to_sync(_channel_round_trip)()


async def _channel_round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise Failing("no channel layer is configured")
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    async with asyncio.timeout(settings.HEALTH_TIMEOUT_SECONDS):
        message = await layer.receive(channel)
    if message.get("type") != "health.ping":
        raise Failing("the channel layer returned another message")


def workers_seen() -> list[WorkerHeartbeat]:
    since = timezone.now() - timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)
    return list(WorkerHeartbeat.objects.filter(seen__gte=since).order_by("-seen"))


def check_worker() -> None:
    if not workers_seen():
        seconds = 3 * settings.WORKER_HEARTBEAT_SECONDS
        raise Failing(f"no worker has sent a heartbeat in the last {seconds} seconds")


register("database", check_database)
register("cache", check_cache)
register("channel_layer", check_channel_layer)
register("worker", check_worker)


def failing_parts() -> dict[str, str]:
    """Each failing part's name and what went wrong (for the logs and operators, not the public)."""
    failing: dict[str, str] = {}
    for part in PARTS:
        try:
            part.check()
        except Exception as exc:  # any failure of a dependency is a failed check
            failing[part.name] = str(exc) if isinstance(exc, Failing) else f"{type(exc).__name__}: {exc}"
            failing[part.name] = failing[part.name].strip()[:300]
    return failing
