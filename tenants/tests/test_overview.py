"""The Overview page: documents and their states, your recent chats, usage against the budget,
the team; and for a new workspace, a first step."""

from decimal import Decimal

import pytest
from django.test import Client

from chat.models import ChatSession
from docuchat.testing import Cast
from documents.models import Document
from tenants.models import Membership, Tenant
from usage import metering
from usage.models import Quota

pytestmark = pytest.mark.django_db
Status = Document.Status


def add(tenant: Tenant, title: str, status: str) -> Document:
    digest = title.ljust(64, "0")[:64]
    return Document.objects.create(tenant=tenant, title=title, sha256=digest, status=status)


def test_it_shows_a_new_workspace_its_first_step(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = client.get("/t/acme/").content.decode()
    assert "Start here: upload your first PDF" in html
    assert (
        '<a class="btn btn-primary" href="/t/acme/documents/" data-main-action>Upload your first PDF</a>'
        in html
    )
    assert "Ask a question</a>" not in html  # nothing to ask about yet


def test_it_shows_documents_by_state_chats_usage_and_the_team(client: Client, cast: Cast) -> None:
    for i, status in enumerate([Status.READY, Status.READY, Status.PROCESSING, Status.QUEUED, Status.FAILED]):
        add(cast.acme, f"Doc {i}", status)
    add(cast.globex, "Not ours", Status.FAILED)
    ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Where is the pump manual?")
    ChatSession.objects.create(tenant=cast.acme, user=cast.owner, title="The owner's own question")
    ChatSession.objects.create(tenant=cast.globex, user=cast.other, title="Globex secret")
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1_000_000, monthly_cost=Decimal("20"))
    metering.record(cast.acme, cast.member, metering.Kind.CHAT, "gpt-4o-mini", 200_000, 50_000)
    client.force_login(cast.member)
    html = client.get("/t/acme/").content.decode()
    assert "Start here" not in html and ">Ask a question</a>" in html
    documents = html.split("<h2>Documents</h2>")[1].split("</section>")[0]
    assert '<p class="stat">5</p>' in documents and "Ready</span> 2" in documents
    assert "Indexing</span> 2" in documents and 'href="/t/acme/documents/?status=failed"' in documents
    assert "Where is the pump manual?" in html  # your own chats only
    assert "The owner&#x27;s own question" not in html and "Globex" not in html
    assert "250,000 <span" in html and "<strong>25%</strong> of the monthly budget" in html
    assert '<progress max="100" value="25"' in html
    members = html.split("<h2>Members</h2>")[1].split("</section>")[0]
    assert '<p class="stat">2</p>' in members and "people in Acme." in members


def test_it_welcomes_on_a_first_visit_and_back_afterwards(client: Client, cast: Cast) -> None:
    cast.member.display_name = "Mia"
    cast.member.save()
    client.force_login(cast.member)
    assert "Welcome to Acme, Mia." in client.get("/t/acme/").content.decode()
    Membership.objects.filter(user=cast.member).update(last_active="2026-01-01T00:00Z")
    html = client.get("/t/acme/").content.decode()
    assert "Welcome back, Mia." in html and "Welcome to Acme" not in html


def test_it_is_only_for_the_workspaces_people(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    assert client.get("/t/acme/").status_code == 404
