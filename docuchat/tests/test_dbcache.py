"""The database cache (the embedded default, without REDIS_URL): atomic incr, one-statement add."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from docuchat.lib import dbcache
from docuchat.lib.dbcache import AtomicDatabaseCache

pytestmark = pytest.mark.django_db


def fresh(**options: object) -> AtomicDatabaseCache:
    cache = AtomicDatabaseCache("docuchat_cache", {"OPTIONS": options})
    cache.clear()
    return cache


def test_it_adds_a_key_once_in_one_statement(django_assert_num_queries: object) -> None:
    cache = fresh()
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert cache.add("rate", 1, timeout=120) is True
    assert cache.add("rate", 5, timeout=120) is False
    assert cache.get("rate") == 1
    assert cache.incr("rate") == 2 and cache.get("rate") == 2


def test_it_adds_over_an_expired_key_as_djangos_add_does() -> None:
    cache = fresh()
    assert cache.add("rate", {"n": 1}, timeout=60)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert cache.get("rate") is None
        assert cache.add("rate", {"n": 9}, timeout=60) is True
        assert cache.get("rate") == {"n": 9}


def test_it_keeps_a_key_without_timeout_forever() -> None:
    cache = fresh()
    assert cache.add("forever", "x", timeout=None)
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert cache.get("forever") == "x"


def test_it_still_culls_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbcache, "CULL_EVERY", 5)
    cache = fresh(MAX_ENTRIES=10, CULL_FREQUENCY=2)
    for n in range(40):
        cache.add(f"key-{n}", n, timeout=120)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM docuchat_cache")
        assert cursor.fetchone()[0] <= 15
