"""Surviving a database restart: which errors mean "the database is away", and waiting for it.

A restart or a failover drops every connection: queries fail with OperationalError (the server
closed the connection, or refuses new ones) or InterfaceError (Django's handle is already closed).
Long-lived processes (the worker, the channel layer's listener) catch these, wait with
exponential backoff, logging one line per try, and carry on when the database answers again.
Other database errors (a bad query, a constraint) are bugs or bad data, and are not retried.
"""

import logging
import time
from collections.abc import Iterator

import psycopg
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger("docuchat.database")

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
FIRST_DELAY = 0.5
MAX_DELAY = 10.0


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def backoff(first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> Iterator[float]:
    """0.5, 1, 2, 4, 8, 10, 10, ... seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def wait_for_database(what: str, alias: str = "default") -> float:
    """Block until `alias` answers again; return how many seconds that took.

    Every try closes this thread's connections first, so the next query opens a new one.
    """
    started = time.monotonic()
    for delay in backoff():
        time.sleep(delay)
        connections.close_all()
        try:
            connections[alias].ensure_connection()
        except OUTAGE_ERRORS as exc:
            logger.warning("%s: database still unavailable (%s); trying again.", what, one_line(exc))
            continue
        waited = time.monotonic() - started
        logger.warning("%s: the database is back after %.1f s; carrying on.", what, waited)
        return waited
    raise AssertionError("unreachable")
