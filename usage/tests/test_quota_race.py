"""Concurrent calls near the limit, each on its own real database connection."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from docuchat.testing import Cast, make_cast
from usage import quotas
from usage.models import Meter, Quota


def race(workers: int, attempt: Callable[[], object]) -> list[object]:
    """Run `attempt` in `workers` threads released at the same instant; return what each got."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = attempt()
        except quotas.QuotaExceeded as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_many_concurrent_calls_spend_the_last_of_the_budget() -> None:
    cast: Cast = make_cast()
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    quotas.release(quotas.reserve(cast.acme, None, 1))  # create this month's meter row
    quotas.add_used(cast.acme.id, None, 400, 0)

    results = race(8, lambda: quotas.reserve(cast.acme, cast.owner, 500))

    granted = [r for r in results if isinstance(r, quotas.Reservation)]
    refused = [r for r in results if isinstance(r, quotas.QuotaExceeded)]
    assert (len(granted), len(refused)) == (1, 7)
    meter = Meter.objects.get(tenant=cast.acme, scope="month")
    assert meter.tokens_used + meter.tokens_reserved == 900 <= 1000


@pytest.mark.django_db(transaction=True)
def test_it_never_overspends_when_the_period_row_does_not_exist_yet() -> None:
    cast: Cast = make_cast()
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000, member_daily_tokens=600)

    results = race(6, lambda: quotas.reserve(cast.acme, cast.member, 400))

    granted = [r for r in results if isinstance(r, quotas.Reservation)]
    assert len(granted) == 1  # the member's daily 600 allows one 400-token call
    assert Meter.objects.get(tenant=cast.acme, scope="month").tokens_reserved == 400
    assert Meter.objects.get(tenant=cast.acme, scope="member_day").tokens_reserved == 400
