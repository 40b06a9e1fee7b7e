"""An assistant's analytics on real rows: per-day counts, the share answered from the documents,
the thumbs ratio, and the unanswered questions grouped by similarity."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assistants.analytics import group, report
from assistants.models import Assistant
from assistants.tests.conftest import website_conversation
from chat.models import ChatSession, Message
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(cast: Cast) -> Assistant:
    support = Assistant.objects.create(tenant=cast.acme, name="Support")
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    website_conversation(support, [("Do you ship to Mars?", "No idea."), ("Refund policy?", "30 days [1].")],
                         when=yesterday, not_covered={0}, up={1})  # fmt: skip
    website_conversation(
        support, [("Can you ship to Mars?", "No idea.")], when=now, not_covered={0}, down={0}
    )
    website_conversation(support, [("do you ship to mars", "No idea."), ("Do you sell boats?", "No idea.")],
                         when=now, not_covered={0, 1})  # fmt: skip
    website_conversation(support, [("Warranty?", "Two years [1].")], when=now, up={0})
    website_conversation(
        support, [("Very old question", "x")], when=now - timedelta(days=40), not_covered={0}
    )
    # Not counted: another assistant's, a member's own chat, another workspace's.
    website_conversation(Assistant.objects.get(tenant=cast.acme, is_default=True), [("Default's", "x")])
    staff = ChatSession.objects.create(tenant=cast.acme, user=cast.member, assistant=support, title="Staff")
    Message.objects.create(session=staff, role="user", content="Private: ship to Mars?")
    Message.objects.create(session=staff, role="assistant", content="No idea.", not_covered=True)
    website_conversation(Assistant.objects.get(tenant=cast.globex), [("Globex", "x")], not_covered={0})
    return support


def test_it_counts_conversations_questions_answers_and_thumbs(support: Assistant) -> None:
    numbers = report(support)

    assert (numbers.conversations, numbers.questions) == (4, 6)
    assert (numbers.answers, numbers.from_documents, numbers.answered_share) == (6, 2, 33)
    assert (numbers.thumbs_up, numbers.thumbs_down, numbers.thumbs_ratio) == (2, 1, 67)
    today, yesterday = numbers.days[-1], numbers.days[-2]
    assert (today.conversations, today.questions) == (3, 4)
    assert (yesterday.conversations, yesterday.questions) == (1, 2)
    assert len(numbers.days) == 30 and sum(d.questions for d in numbers.days[:-2]) == 0


def test_it_groups_the_unanswered_questions_by_similarity(support: Assistant) -> None:
    groups = report(support).unanswered

    assert [(g.question, g.count) for g in groups] == [("Do you ship to Mars?", 3), ("Do you sell boats?", 1)]
    assert groups[0].examples == ["Can you ship to Mars?"]  # "do you ship to mars" is the same wording


def test_it_draws_the_days_as_bars(support: Assistant) -> None:
    chart = report(support).chart

    assert not chart.empty and {b.series for b in chart.bars} == {"conversations", "questions"}
    assert len(chart.bars) == 4  # two days, two series
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.series == "questions" and "4 questions" in tallest.title


def test_it_counts_conversations_without_an_assistant_for_the_default(cast: Cast) -> None:
    default = Assistant.objects.get(tenant=cast.acme, is_default=True)
    gone = Assistant.objects.create(tenant=cast.acme, name="Gone")
    website_conversation(gone, [("Orphan?", "Yes.")])
    gone.delete()

    assert report(default).conversations == 1


def test_it_groups_nothing_into_nothing() -> None:
    assert group([]) == []


def test_it_shows_the_numbers_on_the_page(owner: Client, support: Assistant) -> None:
    response = owner.get(f"/t/acme/assistants/{support.public_id}/analytics/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "33%" in html and "2 of 6 answers" in html and "67%" in html
    assert (
        "Do you ship to Mars?" in html
        and "3\N{MULTIPLICATION SIGN}" in html
        and 'class="bar bar-questions"' in html
    )
    assert "Private: ship to Mars?" not in html and "Globex" not in html


def test_it_gives_another_tenants_owner_404_and_members_403(
    client: Client, cast: Cast, support: Assistant
) -> None:
    client.force_login(cast.other)
    assert client.get(f"/t/acme/assistants/{support.public_id}/analytics/").status_code == 404
    assert client.get(f"/t/globex/assistants/{support.public_id}/analytics/").status_code == 404
    client.force_login(cast.member)
    assert client.get(f"/t/acme/assistants/{support.public_id}/analytics/").status_code == 403
