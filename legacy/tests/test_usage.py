"""GET /v1/usage: the caller's own tokens in the workspace over the last 24 hours and 7 days."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from docuchat.testing import Cast
from legacy.tests.v1 import api
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db


def spend(tenant, user, tokens: int, ago: timedelta, cost: str = "0") -> None:
    UsageRecord.objects.create(
        tenant=tenant, tenant_slug=tenant.slug, user=user, kind=UsageRecord.Kind.CHAT, model="gpt-4o-mini",
        prompt_tokens=tokens, completion_tokens=0, cost=Decimal(cost), created=timezone.now() - ago,
    )  # fmt: skip


def test_it_counts_the_callers_own_tokens_over_24_hours_and_7_days(cast: Cast) -> None:
    spend(cast.acme, cast.member, 100, timedelta(hours=1), cost="0.001")
    spend(cast.acme, cast.member, 20, timedelta(days=3))
    spend(cast.acme, cast.member, 5000, timedelta(days=8))  # too old
    spend(cast.acme, cast.owner, 7000, timedelta(hours=1))  # someone else's
    spend(cast.globex, cast.member, 9000, timedelta(hours=1))  # another workspace's

    response = api(cast.member).get("/v1/usage")

    assert response.status_code == 200
    assert response.json() == {
        "tokens_24h": 100,
        "tokens_7d": 120,
        "cost_usd_24h": "0.00100000",
        "cost_usd_7d": "0.00100000",
    }
    # An owner, who sees everyone's usage on the Usage page, gets their own here too.
    assert api(cast.owner).get("/v1/usage").json()["tokens_7d"] == 7000


def test_it_answers_another_workspace_as_a_missing_one(cast: Cast) -> None:
    spend(cast.globex, cast.other, 100, timedelta(hours=1))
    for tenant in ("globex", str(cast.globex.pk), "nope"):
        response = api(cast.member, tenant=tenant).get("/v1/usage")
        assert (response.status_code, response.json()["message"]) == (404, "No such workspace.")
