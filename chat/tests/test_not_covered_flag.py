"""The turn marks an answer 'not covered' when retrieval found nothing (the inbox filters on it)."""

import pytest

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.test_turn_events import events_of, member_caller
from chat.turns import Ask, Done, Regenerate, Turn
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


def test_it_marks_an_answer_without_sources_as_not_covered(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    events = events_of(Turn(member_caller(cast), Ask(question="zebra quantum xylophone")))

    done = events[-1]
    assert isinstance(done, Done) and done.answer.sources == []
    assert Message.objects.get(pk=done.answer.pk).not_covered is True
    assert llm.chats == []  # no model was asked


def test_it_leaves_an_answer_from_the_documents_unmarked(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    llm.script(Reply(tokens=["Thirty days [1]."]))

    done = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")))[-1]

    assert isinstance(done, Done) and done.answer.sources
    assert Message.objects.get(pk=done.answer.pk).not_covered is False
    assert Message.objects.get(role=Message.Role.USER).not_covered is False


def test_it_sets_the_mark_again_when_an_answer_is_regenerated(
    cast: Cast, llm: FakeLLM, handbook: None
) -> None:
    caller = member_caller(cast)
    first = events_of(Turn(caller, Ask(question="zebra quantum xylophone")))[-1]
    session = str(first.answer.session.public_id)

    again = events_of(Turn(caller, Regenerate(session=session)))[-1]

    assert Message.objects.get(pk=again.answer.pk).not_covered is True
    assert not Message.objects.filter(pk=first.answer.pk).exists()
