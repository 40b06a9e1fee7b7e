"""The Conversations inbox: the website's conversations for owners and admins, filtered; the
transcript with its sources; CSV export with formulas escaped. Members see only their own chats."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assistants.models import Assistant
from assistants.tests.conftest import website_conversation
from chat.models import ChatSession, Message
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db

SOURCE = {"n": 1, "chunk": 1, "document": "00000000-0000-0000-0000-000000000001", "title": "Price list",
          "page_start": 4, "page_end": 4, "snippet": "Shipping to Mars costs 1M credits."}  # fmt: skip


@pytest.fixture
def inbox(cast: Cast) -> dict[str, ChatSession]:
    support = Assistant.objects.create(tenant=cast.acme, name="Support")
    sales = Assistant.objects.create(tenant=cast.acme, name="Sales")
    old = timezone.now() - timedelta(days=10)
    return {
        "covered": website_conversation(
            support, [("Price of shipping?", "1M credits [1].")], sources=[SOURCE]
        ),
        "uncovered": website_conversation(support, [("Do you sell boats?", "Not covered.")], not_covered={0}),
        "disliked": website_conversation(sales, [("Discounts?", "None.")], down={0}, when=old),
        "staff": ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Private staff chat"),
        "globex": website_conversation(Assistant.objects.get(tenant=cast.globex), [("Globex question", "x")]),
    }


def titles(response) -> set[str]:
    html = response.content.decode()
    known = [
        "Price of shipping?",
        "Do you sell boats?",
        "Discounts?",
        "Private staff chat",
        "Globex question",
    ]
    return {t for t in known if t in html}


def test_it_lists_the_websites_conversations_for_owners(owner: Client, inbox) -> None:
    response = owner.get("/t/acme/conversations/")

    assert response.status_code == 200
    assert titles(response) == {"Price of shipping?", "Do you sell boats?", "Discounts?"}


def test_it_filters_by_assistant_date_not_covered_and_thumbs_down(owner: Client, inbox) -> None:
    sales = Assistant.objects.get(name="Sales")
    today = timezone.localdate().isoformat()

    assert titles(owner.get(f"/t/acme/conversations/?assistant={sales.public_id}")) == {"Discounts?"}
    assert titles(owner.get(f"/t/acme/conversations/?start={today}")) == {
        "Price of shipping?",
        "Do you sell boats?",
    }
    assert titles(owner.get("/t/acme/conversations/?not_covered=on")) == {"Do you sell boats?"}
    assert titles(owner.get("/t/acme/conversations/?thumbs_down=on")) == {"Discounts?"}
    combined = owner.get(f"/t/acme/conversations/?thumbs_down=on&start={today}")
    assert titles(combined) == set() and "No conversations match" in combined.content.decode()


def test_it_answers_a_filter_with_the_rows_only_for_htmx(owner: Client, inbox) -> None:
    response = owner.get("/t/acme/conversations/?not_covered=on", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="conversation-rows"' in html and "<nav" not in html and "Do you sell boats?" in html


def test_it_explains_a_bad_date_range(owner: Client, inbox) -> None:
    response = owner.get("/t/acme/conversations/?start=2026-05-02&end=2026-05-01")

    assert response.status_code == 400 and "start date must be on or before" in response.content.decode()


def test_it_shows_members_only_their_own_chats(client: Client, cast: Cast, inbox) -> None:
    client.force_login(cast.member)

    response = client.get("/t/acme/conversations/")

    assert response.status_code == 200 and titles(response) == {"Private staff chat"}
    assert "Export CSV" not in response.content.decode()
    transcript = client.get(f"/t/acme/conversations/{inbox['covered'].public_id}/")
    assert transcript.status_code == 403
    assert client.get("/t/acme/conversations/export.csv").status_code == 403


def test_it_shows_a_transcript_with_its_sources(owner: Client, inbox) -> None:
    response = owner.get(f"/t/acme/conversations/{inbox['covered'].public_id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Price of shipping?" in html and "1M credits" in html
    assert "Price list" in html and "Shipping to Mars costs 1M credits." in html and "page 4" in html
    assert "Save" in html  # to the Saved list


def test_it_marks_a_not_covered_answer_in_the_transcript(owner: Client, inbox) -> None:
    html = owner.get(f"/t/acme/conversations/{inbox['uncovered'].public_id}/").content.decode()

    assert "Not answered from the documents" in html


def test_it_never_opens_a_members_chat_as_a_transcript(owner: Client, inbox) -> None:
    assert owner.get(f"/t/acme/conversations/{inbox['staff'].public_id}/").status_code == 404


def test_it_gives_another_tenants_owner_404(client: Client, cast: Cast, inbox) -> None:
    client.force_login(cast.other)

    assert client.get("/t/acme/conversations/").status_code == 404
    assert client.get(f"/t/acme/conversations/{inbox['covered'].public_id}/").status_code == 404
    assert client.get("/t/acme/conversations/export.csv").status_code == 404
    # From their own workspace, acme's conversation is not there either; their list has only theirs.
    assert client.get(f"/t/globex/conversations/{inbox['covered'].public_id}/").status_code == 404
    assert titles(client.get("/t/globex/conversations/")) == {"Globex question"}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_exports_the_filtered_conversations_as_csv(owner: Client, inbox) -> None:
    response = owner.get("/t/acme/conversations/export.csv?not_covered=on")

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert 'filename="docuchat-conversations-acme-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:6] == ["conversation", "started", "assistant", "time", "role", "text"]
    assert [(r[2], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Support", "user", "Do you sell boats?", ""),
        ("Support", "assistant", "Not covered.", "yes"),
    ]


def test_it_escapes_spreadsheet_formulas_in_the_export(owner: Client, cast: Cast) -> None:
    evil = Assistant.objects.create(tenant=cast.acme, name='=HYPERLINK("http://x")')
    website_conversation(evil, [("=1+2", "+SUM(A1)"), ("-3", "@cmd")])

    rows = read_csv(owner.get("/t/acme/conversations/export.csv"))

    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and "'=1+2" in cells and "'+SUM(A1)" in cells
    assert "'-3" in cells and "'@cmd" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_it_exports_sources_as_text(owner: Client, inbox) -> None:
    rows = read_csv(owner.get("/t/acme/conversations/export.csv"))

    answer = next(r for r in rows if r[5] == "1M credits [1].")
    assert answer[8] == "[1] Price list p. 4"
    assert Message.objects.filter(session__tenant__slug="globex").exists()
    assert not any("Globex question" in r for r in rows)
