"""A reservation is given back exactly once: by its call, or by the sweep if its process died."""

from datetime import timedelta

import pytest
from django.utils import timezone

from docuchat.testing import Cast
from documents import recovery
from usage import quotas
from usage.models import Meter, Quota, QuotaReservation

pytestmark = pytest.mark.django_db


def reserved_tokens(cast: Cast) -> dict[str, int]:
    return {m.scope: m.tokens_reserved for m in Meter.objects.filter(tenant=cast.acme)}


def test_it_gives_back_a_reservation_whose_process_died_once_it_expires(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000, member_daily_tokens=500)
    held = quotas.reserve(cast.acme, cast.member, 400)  # its process dies: never released
    assert reserved_tokens(cast) == {"month": 400, "member_day": 400}

    recovery.sweep()
    assert reserved_tokens(cast) == {"month": 400, "member_day": 400}  # not expired yet
    with pytest.raises(quotas.QuotaExceeded):
        quotas.reserve(cast.acme, cast.member, 101)

    QuotaReservation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    recovery.sweep()

    assert reserved_tokens(cast) == {"month": 0, "member_day": 0}
    assert not QuotaReservation.objects.exists()
    quotas.release(quotas.reserve(cast.acme, cast.member, 500))  # the whole budget is back
    quotas.release(held)  # a slow call that ends after all gives back nothing twice
    assert reserved_tokens(cast) == {"month": 0, "member_day": 0}


def test_it_gives_back_a_released_reservation_once(cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    held = quotas.reserve(cast.acme, cast.owner, 300)
    assert QuotaReservation.objects.get().tokens == 300

    quotas.release(held)
    quotas.release(held)

    assert reserved_tokens(cast) == {"month": 0}
    assert not QuotaReservation.objects.exists()
    assert quotas.release_expired() == 0
