"""An answer's model calls are metered together (usage.metering.record_calls), as one by one."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from usage import metering
from usage.models import Meter, UsageRecord

pytestmark = pytest.mark.django_db

CALLS = [
    (metering.Kind.QUERY_EMBEDDING, "text-embedding-3-small", 12, 0),
    (metering.Kind.CHAT, "gpt-4o-mini", 900, 100),
]


def test_it_records_each_call_and_counts_them_on_every_meter(cast: Cast, settings: SettingsWrapper) -> None:
    settings.MODEL_PRICES = {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}

    with transaction.atomic():
        records = metering.record_calls(cast.acme, cast.member, CALLS)

    assert [(r.kind, r.model, r.prompt_tokens, r.completion_tokens) for r in records] == CALLS
    assert UsageRecord.objects.filter(tenant=cast.acme, user=cast.member).count() == 2
    month = Meter.objects.get(tenant=cast.acme, scope="month")
    day = Meter.objects.get(tenant=cast.acme, user=cast.member, scope="member_day")
    assert month.tokens_used == day.tokens_used == 1012
    assert month.cost_used == Decimal("0.000195")  # 900 * 0.15 / 1M + 100 * 0.6 / 1M


def test_it_takes_fewer_statements_than_recording_one_by_one(cast: Cast) -> None:
    with transaction.atomic(), CaptureQueriesContext(connection) as together:
        metering.record_calls(cast.acme, cast.member, CALLS)
    with transaction.atomic(), CaptureQueriesContext(connection) as apart:
        for call in CALLS:
            metering.record(cast.acme, cast.member, *call)

    assert len(together) < len(apart) - 3
    assert not any("SAVEPOINT" in q["sql"] for q in together.captured_queries)


def test_it_records_nothing_for_no_calls(cast: Cast) -> None:
    assert metering.record_calls(cast.acme, cast.member, []) == []
    assert not UsageRecord.objects.exists()
