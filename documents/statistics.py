"""The planner's statistics of a tenant's chunks, right the moment a document is ready.

Retrieval leaves out of the full-text half the words found in most chunks, read from
PostgreSQL's statistics of the chunk table (chat.retrieval.common_words). Autovacuum gathers them
minutes after a load, so a fresh workspace's first questions would be ranked with none. The
pipeline therefore analyzes the tenant's partition in the transaction that marks the document
ready (ANALYZE counts the rows its own transaction inserted), and, once that commits, bumps a
version in the shared cache so that every process reads the statistics again.
"""

import time

from django.core.cache import cache
from django.db import connection, transaction

VERSION_KEY = "documents:chunk-statistics-version"


def analyze_chunks(tenant_id: int) -> None:
    """ANALYZE the partition of the chunk table that holds the tenant's chunks (in this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM documents_chunk WHERE tenant_id = %s LIMIT 1", [tenant_id]
        )
        row = cursor.fetchone()
        if row is None:
            return
        cursor.execute(f"ANALYZE {row[0]}")  # a name from the catalog, quoted by regclass
    transaction.on_commit(announce)


def announce() -> None:
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def version() -> object:
    return cache.get(VERSION_KEY)
