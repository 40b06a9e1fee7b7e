import json

import pytest
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import Break, Fail, FakeLLM, Reply, Stall
from chat.tests.ws import communicator, receive_until, signed_in, streamed_text
from docuchat.lib.tokens import count_tokens
from docuchat.testing import Cast
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)


def converse(user, *messages: dict) -> list[list[str]]:
    """Send each message on one socket, collecting the frames up to each answer's end."""
    headers = signed_in(user)

    async def scenario() -> list[list[str]]:
        ws = communicator(headers)
        assert (await ws.connect())[0]
        replies = []
        for message in messages:
            await ws.send_to(text_data=json.dumps(message))
            replies.append(await receive_until(ws))
        await ws.disconnect()
        return replies

    return async_to_sync(scenario)()


@pytest.fixture
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


QUESTION = {"action": "ask", "message": "What is the refund policy?"}


def test_it_shows_an_error_before_the_first_token_and_retry_answers(
    cast: Cast, llm: FakeLLM, handbook
) -> None:
    llm.script(Fail(status=500, message="Upstream exploded"), Reply(tokens=["Fine ", "now [1]."]))

    (failed,) = converse(cast.member, QUESTION)
    assert "The model refused the request (500)" in failed[-1] and "Upstream exploded" in failed[-1]
    assert ">Retry</button>" in failed[-1]
    question = Message.objects.get(role=Message.Role.USER)
    assert question.content == "What is the refund policy?"  # the user's message is kept
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.FAILED and "500" in answer.error
    assert not UsageRecord.objects.filter(kind=UsageRecord.Kind.CHAT).exists()  # nothing was generated

    (retried,) = converse(cast.member, {"action": "regenerate", "session": str(question.session.public_id)})
    assert f'id="msg-{answer.public_id}" hx-swap-oob="delete"' in retried[0]  # the failed answer goes
    assert streamed_text(retried) == "Fine now [1]."
    new = Message.objects.get(role=Message.Role.ASSISTANT)
    assert new.status == Message.Status.COMPLETE and new.pk != answer.pk
    assert Message.objects.filter(role=Message.Role.USER).count() == 1  # not asked twice
    assert len(llm.chats) == 2


def test_it_retries_before_the_first_token(cast: Cast, llm: FakeLLM, handbook, settings) -> None:
    settings.OPENAI_MAX_RETRIES = 2
    llm.script(Fail(status=503), Fail(status=429), Reply(tokens=["Third ", "time [1]."]))

    (frames,) = converse(cast.member, QUESTION)

    assert streamed_text(frames) == "Third time [1]."
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.COMPLETE
    assert len(llm.chats) == 3


def test_it_never_retries_once_tokens_were_streamed(cast: Cast, llm: FakeLLM, handbook, settings) -> None:
    settings.OPENAI_MAX_RETRIES = 3
    llm.script(Break(after=2, message="Overloaded mid-answer", tokens=["Refunds ", "take ", "30 days."]))

    (frames,) = converse(cast.member, QUESTION)

    assert streamed_text(frames) == "Refunds take "
    assert "The model stopped with an error: Overloaded mid-answer." in frames[-1]
    assert len(llm.chats) == 1  # no retry after tokens went out
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.FAILED
    assert answer.content == "Refunds take "  # the partial answer is kept
    usage = UsageRecord.objects.get(kind=UsageRecord.Kind.CHAT)  # estimated: the usage chunk never came
    assert usage.message == answer and usage.completion_tokens == count_tokens("Refunds take ")


def test_it_reports_a_timeout(cast: Cast, llm: FakeLLM, handbook, settings) -> None:
    settings.OPENAI_TIMEOUT = 0.5
    llm.script(Stall(seconds=3))

    (frames,) = converse(cast.member, QUESTION)

    assert "The model did not answer in time (0.5 s)" in frames[-1]
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.FAILED


def test_it_reports_a_refused_request(cast: Cast, llm: FakeLLM, handbook) -> None:
    llm.script(Fail(status=400, message="This model's maximum context length is 10 tokens"))

    (frames,) = converse(cast.member, QUESTION)

    assert "The model refused the request (400): This model&#x27;s maximum context length" in frames[-1]
    assert 'class="alert alert-error msg-error"' in frames[-1]


def test_it_fails_the_answer_clearly_when_the_question_cannot_be_embedded(
    cast: Cast, llm: FakeLLM, handbook
) -> None:
    llm.embedding_status = 500

    (frames,) = converse(cast.member, QUESTION)

    assert "The embedding service refused the request (500)." in frames[-1]
    assert ">Retry</button>" in frames[-1]
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.FAILED
    assert llm.chats == []
