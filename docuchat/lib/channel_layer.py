"""channels-postgres's layer, made to survive a database restart.

channels-postgres 1.1.4 (pinned) delivers messages through one LISTEN connection per process and
reads and writes its tables through a psycopg pool. After a restart of PostgreSQL:
- its listener task ended with the connection, and was never started again (its "running" flag
  stays set), so no message reached this process's sockets until it was restarted;
- its pool handed out connections that had died with the server, so the first sockets opened
  after recovery failed their handshake (HTTP 500).

This subclass keeps the library's behaviour and fixes both:
1. The listener reconnects, with backoff and a log line, and LISTENs again. Messages sent while
   it was away are not replayed (small ones stay in the table after delivery, so a replay would
   repeat them): a lost push costs only freshness, and pages fetch their state on reconnect.
2. The pool checks a connection before handing it out (psycopg_pool's `check_connection`) and
   waits at most POOL_TIMEOUT seconds for one, so a push during an outage fails fast; when the
   listener is back, the pool replaces its dead connections at once instead of after its backoff.
"""

import asyncio
import base64
import contextlib
import logging
import os
import threading
from typing import Any

import psycopg
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from channels_postgres.core import PostgresChannelLayer
from psycopg_pool import AsyncConnectionPool

from docuchat.lib.dbwait import OUTAGE_ERRORS, backoff, one_line

logger = logging.getLogger("docuchat.channels")
POOL_TIMEOUT = 5.0
LISTEN_MAX_DELAY = 2.0  # reconnect soon: pushes sent before we LISTEN again are missed
SHUTDOWN = "1:shutdown"


class ResilientPostgresChannelLayer(PostgresChannelLayer):
    _connected = False

    def __init__(self, **config: Any) -> None:
        options = {"check": AsyncConnectionPool.check_connection, "timeout": POOL_TIMEOUT}
        config["PSYCOPG_OPTIONS"] = {**options, **config.get("PSYCOPG_OPTIONS", {})}
        super().__init__(**config)

    async def listen_to_all_channels(self) -> None:
        """The library's listener, in a loop that reconnects when the connection drops."""
        delays = backoff(cap=LISTEN_MAX_DELAY)
        first = True
        while True:
            try:
                if first:
                    await self._queue_stored_messages()
                await self._listen(reconnected=not first)
                return  # told to shut down
            except OUTAGE_ERRORS as exc:
                if self._connected:  # it had been listening: start the backoff afresh
                    delays, self._connected = backoff(cap=LISTEN_MAX_DELAY), False
                delay = next(delays)
                logger.warning("Channel layer lost its LISTEN connection (%s); reconnecting in %.1f s.",
                               one_line(exc), delay)  # fmt: skip
                first = False
                await asyncio.sleep(delay)

    async def _queue_stored_messages(self) -> None:
        """As the library does when its listener starts: messages stored before it listened."""
        stored = await self.django_db.retrieve_non_expired_queued_messages()
        for message_id, channel, message, timestamp in sorted(stored, key=lambda row: int(row[0])):
            payload = f"{message_id}:{channel}:{base64.b64encode(message).decode()}:{timestamp}"
            self._get_or_create_queue(channel).put_nowait(payload)

    async def _listen(self, *, reconnected: bool) -> None:
        conninfo = psycopg.conninfo.make_conninfo(conninfo="", **self.db_params)
        async with await psycopg.AsyncConnection.connect(conninfo=conninfo, autocommit=True) as connection:
            await connection.execute("LISTEN channels_postgres_messages;")
            assert self.listener_task_is_running is not None
            self.listener_task_is_running.set()
            self._connected = True
            if reconnected:
                logger.warning("Channel layer is listening again.")
                await self._refill_pool()
            async for event in connection.notifies():
                if event.payload == SHUTDOWN:
                    self.listener_task_is_running.clear()
                    return
                channel = event.payload.split(":")[1]
                # Only this process's channels (it holds their advisory lock) are its to deliver.
                if self._channel_advisory_locks.get(channel, False):
                    self._get_or_create_queue(channel).put_nowait(event.payload)

    async def new_channel(self, prefix: str = "specific") -> str:
        """A new channel that is this process's from the start. The library takes the channel's
        advisory lock only at its first receive(), and its listener drops what arrives for a
        channel whose lock it does not hold: a message sent in between (the health check's ping,
        a push to a consumer just after group_add) was lost. After a database restart, when the
        pool's connections are slow to come back, that race was lost every time."""
        channel = await super().new_channel(prefix)
        with contextlib.suppress(*OUTAGE_ERRORS):  # the database is away: receive() takes it later
            await self._get_or_create_channel_advisory_lock(channel)
        return channel

    async def _refill_pool(self) -> None:
        """The database is back: replace the pool's dead connections now. Left alone, the pool
        retries them with a doubling delay (1, 2, 4, ... s, psycopg_pool's backoff), so after a long
        outage the first sends and receives waited POOL_TIMEOUT and failed (the health check's
        round trip did, for up to half a minute)."""
        pool = await self.django_db.get_db_pool(db_params=self.db_params)
        try:
            await pool.check()
        except OUTAGE_ERRORS as exc:  # gone again: the next reconnect tries once more
            logger.warning("Channel layer could not refill its pool (%s).", one_line(exc))


# --- Sending from synchronous code ----------------------------------------------------------
# async_to_sync runs each call in a new event loop when the thread has no server loop to return
# to (the worker, a management command). The library's pool is one per process and belongs to
# the loop that opened it: its background tasks, which replace broken connections, died with that
# first loop, so after a database restart the worker's pushes timed out for good. Such callers
# share one long-lived loop instead, in a thread of its own.
SEND_TIMEOUT = POOL_TIMEOUT * 3
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="channel-layer-loop", daemon=True).start()
        return _loop


def group_send(group: str, message: dict[str, Any]) -> None:
    """`group_send` from synchronous code: a view, a task in the worker, a management command."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, ResilientPostgresChannelLayer) and not _server_loop_running():
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _background_loop())
        future.result(SEND_TIMEOUT)
        return
    async_to_sync(layer.group_send)(group, message)


def _server_loop_running() -> bool:
    """Whether this thread was called from a server's event loop, where async_to_sync returns to
    it (as asgiref itself finds it: the loop a sync_to_async call recorded for this thread)."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    return loop is not None and pid == os.getpid() and loop.is_running()
