"""A CSV export with a bad range shows the usage page again, the message beside the form; and a
zero cost is written as a plain decimal."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from docuchat.testing import Cast
from usage import metering
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db


def test_it_says_the_start_is_after_the_end_on_the_usage_page(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.get("/t/acme/usage/export.csv?start=2026-11-02&end=2026-11-01")
    html = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "<h1>Usage</h1>" in html and "/static/css/app.css" in html
    reason = "The start date must be on or before the end date."
    assert f'<div class="alert alert-error" role="alert"><p>{reason}</p></div>' in html
    assert 'type="date" name="start" value="2026-11-02"' in html  # the form keeps what was asked


def test_it_says_which_date_is_not_a_date(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    html = client.get("/t/acme/usage/export.csv?start=yesterday").content.decode()
    assert '<p class="error" role="alert">Enter a valid date.</p>' in html


def test_it_writes_a_zero_cost_as_a_plain_decimal(client: Client, cast: Cast) -> None:
    metering.record(cast.acme, cast.owner, metering.Kind.QUERY_EMBEDDING, "offline-hash-v1", 12, 0)
    assert UsageRecord.objects.get().cost == Decimal(0)
    client.force_login(cast.owner)
    body = b"".join(client.get("/t/acme/usage/export.csv").streaming_content).decode()
    row = list(csv.reader(io.StringIO(body)))[1]
    assert row[6] == "0.00000000" and "E-" not in body


def test_it_refuses_another_workspace(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    assert client.get("/t/acme/usage/export.csv?start=2026-11-02&end=2026-11-01").status_code == 404
