import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from docuchat.testing import Cast
from usage import metering
from usage.models import Quota, UsageRecord

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))
Kind = metering.Kind


def seed(cast: Cast) -> None:
    """Owner and member usage in acme at several ages, and some in globex that must never show."""
    rows = [
        (cast.acme, cast.owner, Kind.CHAT, "gpt-4o-mini", 1000, 500, timedelta(hours=2)),
        (cast.acme, cast.member, Kind.CHAT, "gpt-4o-mini", 300, 100, timedelta(days=3)),
        (cast.acme, None, Kind.DOCUMENT_EMBEDDING, "text-embedding-3-small", 20_000, 0, timedelta(days=15)),
        (cast.acme, cast.owner, Kind.QUERY_EMBEDDING, "text-embedding-3-small", 7, 0, timedelta(days=45)),
        (cast.globex, cast.other, Kind.CHAT, "gpt-4o", 999_999, 1, timedelta(hours=1)),
    ]
    for tenant, user, kind, model, p, c, age in rows:
        with time_machine.travel(NOW - age):
            metering.record(tenant, user, kind, model, p, c)


@time_machine.travel(NOW, tick=False)
def test_it_shows_totals_for_24h_7d_and_30d_to_an_owner(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.owner)
    response = client.get("/t/acme/usage/")
    windows = {w.label: w.tokens for w in response.context["totals"]}
    assert windows == {"Last 24 hours": 1500, "Last 7 days": 1900, "Last 30 days": 21_900}
    page = response.content.decode()
    assert "999,999" not in page and "boss@globex.test" not in page
    assert "member@acme.test" in page and "owner@acme.test" in page


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_member_only_their_own_usage(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.member)
    response = client.get("/t/acme/usage/")
    assert [w.tokens for w in response.context["totals"]] == [0, 400, 400]
    assert "owner@acme.test" not in response.content.decode()
    assert "Your own usage" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_it_draws_the_daily_chart_by_kind(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.owner)
    page = client.get("/t/acme/usage/").content.decode()
    assert page.count('class="bar bar-chat"') == 2
    assert page.count('class="bar bar-document_embedding"') == 1
    assert "20,000 tokens (document embedding)" in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>")[0]  # CSP: no inline styles


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_quota_progress_and_the_80_percent_warning(client: Client, cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=25_000)
    seed(cast)
    client.force_login(cast.owner)
    page = client.get("/t/acme/usage/").content.decode()
    assert '<progress max="100" value="88"' in page
    assert "has used 88% of its monthly budget" in page


@time_machine.travel(NOW, tick=False)
def test_it_exports_a_date_range_as_csv(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.owner)
    response = client.get("/t/acme/usage/export.csv?start=2026-10-01&end=2026-11-17")
    assert response["Content-Type"] == "text/csv"
    assert "docuchat-usage-acme-20261001-20261117.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time", "member", "kind"]
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        ("owner@acme.test", "query_embedding", "7"),
        ("(system)", "document_embedding", "20000"),
        ("member@acme.test", "chat", "300"),
    ]


def test_it_explains_a_bad_export_range(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert (
        "on or before the end date"
        in client.get("/t/acme/usage/export.csv?start=2026-11-02&end=2026-11-01").content.decode()
    )
    assert "Enter a valid date" in client.get("/t/acme/usage/export.csv?start=yesterday").content.decode()
    assert client.get("/t/acme/usage/export.csv?start=2024-01-01&end=2026-01-01").status_code == 400


@time_machine.travel(NOW, tick=False)
def test_it_exports_only_a_members_own_rows(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.member)
    body = b"".join(client.get("/t/acme/usage/export.csv").streaming_content).decode()
    assert body.count("\n") == 2 and "member@acme.test" in body and "owner@acme.test" not in body


@time_machine.travel(NOW, tick=False)
def test_it_lists_monthly_statements_with_cost_by_model(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.owner)
    statements = client.get("/t/acme/usage/statements/").context["statements"]
    assert [(s.slug, s.tokens, s.is_open) for s in statements] == [
        ("2026-11", 21_900, True),
        ("2026-10", 7, False),
    ]
    assert set(statements[0].by_model) == {"gpt-4o-mini", "text-embedding-3-small"}
    page = client.get("/t/acme/usage/statements/2026-10/").content.decode()
    assert "Statement: October 2026" in page and "Closed" in page
    assert client.get("/t/acme/usage/statements/2026-13/").status_code == 404
    assert client.get("/t/acme/usage/statements/2025-01/").status_code == 404


def test_it_hides_statements_from_plain_members(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    assert client.get("/t/acme/usage/statements/").status_code == 404
    assert client.get("/t/acme/usage/statements/2026-11/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_it_gives_404_to_another_tenants_user_on_every_usage_page(client: Client, cast: Cast) -> None:
    seed(cast)
    client.force_login(cast.other)
    for url in ["/t/acme/usage/", "/t/acme/usage/export.csv", "/t/acme/usage/statements/",
                "/t/acme/usage/statements/2026-11/"]:  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_it_keeps_cost_as_a_decimal_from_the_price_table(cast: Cast) -> None:
    usage = metering.record(cast.acme, None, Kind.CHAT, "gpt-4o-mini", 1_000_000, 1_000_000)
    usage.refresh_from_db()
    assert str(usage.cost) == "0.75000000"
    offline = metering.record(cast.acme, None, Kind.CHAT, "offline-extractive", 123, 45)
    assert offline.cost == 0
    assert UsageRecord.objects.filter(tenant=cast.acme).count() == 2


@time_machine.travel(NOW, tick=False)
def test_it_shows_owners_a_budget_banner_on_every_workspace_page(client: Client, cast: Cast) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=2000)
    metering.record(cast.acme, cast.member, Kind.CHAT, "gpt-4o-mini", 1700, 0)
    client.force_login(cast.owner)
    assert "has used <strong>85%</strong> of its monthly budget" in client.get("/t/acme/").content.decode()
    client.force_login(cast.member)
    assert "of its monthly budget" not in client.get("/t/acme/").content.decode()
