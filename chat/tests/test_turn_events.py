"""The turn pipeline as every door sees it: a caller and a request in, typed events out."""

import pytest
from asgiref.sync import async_to_sync

from chat.callers import Code, MemberCaller
from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.turns import Ask, Delta, Done, Failed, Regenerate, Sources, Started, Turn
from docuchat.testing import Cast
from tenants.models import Membership
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)


def member_caller(cast: Cast, user=None) -> MemberCaller:
    from django.test import Client

    client = Client()
    client.force_login(user or cast.member)
    membership = Membership.objects.select_related("tenant").get(tenant=cast.acme, user=user or cast.member)
    return MemberCaller(membership, client.session.session_key)


def events_of(turn: Turn, stop_after_deltas: int | None = None) -> list[object]:
    async def scenario() -> list[object]:
        seen = []
        async for event in turn.events():
            seen.append(event)
            if stop_after_deltas is not None and sum(isinstance(e, Delta) for e in seen) == stop_after_deltas:
                turn.stop()
        return seen

    return async_to_sync(scenario)()


@pytest.fixture
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


def test_it_yields_started_sources_deltas_then_done(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    llm.script(Reply(tokens=["Thirty ", "days ", "[1]."]))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")))

    assert [type(e) for e in events] == [Started, Sources, Delta, Delta, Delta, Done]
    started, sources, done = events[0], events[1], events[-1]
    assert started.new_session and started.new_question and started.question.content.startswith("What")
    assert started.answer.pk is not None and started.answer.public_id  # saved before it streams
    assert sources.sources[0]["title"] == "Handbook" and sources.sources[0]["n"] == 1
    assert "".join(e.text for e in events if isinstance(e, Delta)) == "Thirty days [1]."
    assert done.answer.pk == started.answer.pk and done.answer.status == Message.Status.COMPLETE
    assert UsageRecord.objects.get(kind="chat").user == cast.member  # metered to the caller


def test_it_yields_one_failed_event_when_refused(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    events = events_of(Turn(member_caller(cast), Ask(question="   ")))

    assert events == [Failed(Code.INVALID, "Type a question first.")]
    assert not Message.objects.exists()


def test_it_refuses_a_session_of_someone_else_as_not_found(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    events_of(Turn(member_caller(cast, cast.owner), Ask(question="What is the refund policy?")))
    theirs = Message.objects.filter(role="user").get().session

    events = events_of(Turn(member_caller(cast), Regenerate(session=str(theirs.public_id))))

    assert [(e.code, e.answer) for e in events] == [(Code.NOT_FOUND, None)]


def test_it_saves_a_stopped_answer_and_ends_with_done(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    llm.script(Reply(tokens=[f"w{i} " for i in range(30)], delay=0.02))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")), 2)

    done = events[-1]
    assert isinstance(done, Done) and done.answer.status == Message.Status.CANCELLED
    assert done.answer.content.startswith("w0 w1 ")
    assert Message.objects.get(role="assistant").status == Message.Status.CANCELLED


def test_it_fails_with_the_model_code_and_a_saved_answer(cast: Cast, llm: FakeLLM, handbook: None) -> None:
    from chat.tests.fake_llm import Fail

    llm.script(Fail(status=500, message="Upstream exploded"))

    events = events_of(Turn(member_caller(cast), Ask(question="What is the refund policy?")))

    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == Code.MODEL
    assert "Upstream exploded" in failed.message and failed.answer.status == Message.Status.FAILED
