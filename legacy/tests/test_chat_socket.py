"""WS /ws/chat: the v1 streaming chat, a door into the same turn pipeline as the staff page."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.utils import timezone

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from docuchat.testing import Cast
from legacy.tests.v1 import ask, closed_with, frames_until, socket, token_for
from usage.models import Quota, UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = ["Refund policy: customers may return any product within 30 days for a full refund."]


@pytest.fixture(autouse=True)
def handbook(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", PAGES)


def run(scenario):
    return async_to_sync(scenario)()


def test_it_streams_an_answer_as_start_deltas_and_end_with_usage_and_sources(
    cast: Cast, llm: FakeLLM
) -> None:
    llm.script(Reply(tokens=["Thirty ", "days ", "[1]."], usage=(900, 3)))
    token = token_for(cast.member)

    async def scenario():
        ws = socket(token)
        assert (await ws.connect())[0]
        frames = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        return frames

    frames = run(scenario)

    session = ChatSession.objects.get()
    assert frames[0] == {"type": "start", "session_id": str(session.public_id)}
    assert [f["token"] for f in frames[1:-1]] == ["Thirty ", "days ", "[1]."]
    assert all(f["type"] == "delta" for f in frames[1:-1])
    end = frames[-1]
    assert end["type"] == "end"
    assert end["usage"] == {"prompt_tokens": 900, "completion_tokens": 3, "total_tokens": 903}
    assert [(s["n"], s["title"], s["page"]) for s in end["sources"]] == [(1, "Handbook", 1)]
    assert "30 days" in end["sources"][0]["snippet"]
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert (answer.content, answer.status, session.user, session.tenant) == (
        "Thirty days [1].", "complete", cast.member, cast.acme
    )  # fmt: skip
    assert UsageRecord.objects.filter(kind="chat", user=cast.member, tenant=cast.acme).exists()


def test_it_continues_a_conversation_by_its_session_id(cast: Cast, llm: FakeLLM) -> None:
    token = token_for(cast.member)

    async def scenario():
        ws = socket(token, tenant=None, header="acme")  # the workspace in the X-Tenant-ID header
        assert (await ws.connect())[0]
        first = await ask(ws, "What is the refund policy?")
        second = await ask(ws, "And for used products?", session_id=first[0]["session_id"])
        await ws.disconnect()
        return first, second

    first, second = run(scenario)
    assert second[0] == first[0] and second[-1]["type"] == "end"
    assert ChatSession.objects.count() == 1
    assert Message.objects.filter(role=Message.Role.USER).count() == 2


def test_it_accepts_the_workspace_by_its_numeric_id(cast: Cast, llm: FakeLLM) -> None:
    async def scenario():
        ws = socket(token_for(cast.member), tenant=str(cast.acme.pk))
        assert (await ws.connect())[0]
        frames = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        return frames

    assert run(scenario)[-1]["type"] == "end"


def refusal_on_connect(
    token: str, tenant: str | None = "acme", header: str | None = None
) -> tuple[dict, int]:
    async def scenario():
        ws = socket(token, tenant, header=header)
        assert (await ws.connect())[0]
        frame = json.loads(await ws.receive_from())
        return frame, await closed_with(ws)

    return run(scenario)


def test_it_answers_another_workspace_as_a_missing_one(cast: Cast, llm: FakeLLM) -> None:
    token = token_for(cast.member)
    for tenant in ("globex", str(cast.globex.pk), "no-such-workspace", "acme%00", "%00"):
        frame, code = refusal_on_connect(token, tenant)
        assert frame == {"type": "error", "message": "No such workspace.", "code": "not_found"}
        assert code == 4404
    frame, code = refusal_on_connect(token_for(cast.outsider), "acme")
    assert (frame["message"], code) == ("No such workspace.", 4404)
    frame, code = refusal_on_connect(token, None)
    assert "X-Tenant-ID" in frame["message"] and code == 4404
    assert not Message.objects.exists() and llm.chats == []


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "TAMPERED", "EXPIRED"],
)
def test_it_refuses_a_bad_expired_or_tampered_token(cast: Cast, llm: FakeLLM, token: str) -> None:
    real = token_for(cast.member)
    if token == "TAMPERED":
        token = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    if token == "EXPIRED":
        with time_machine.travel(timezone.now() - timedelta(days=8)):
            token = token_for(cast.member)
    frame, code = refusal_on_connect(token)
    assert (frame["type"], frame["code"], code) == ("error", "unauthorized", 4401)
    assert "Sign in again." in frame["message"]


def test_it_refuses_to_connect_with_a_token_from_before_log_out_of_all_sessions(cast: Cast) -> None:
    from accounts.sessions import end_all_sessions

    token = token_for(cast.member)
    end_all_sessions(cast.member)
    frame, code = refusal_on_connect(token)
    assert (frame["code"], code) == ("unauthorized", 4401)
    assert "no longer signs you in" in frame["message"]


def test_it_answers_every_malformed_frame_and_stays_usable(cast: Cast, llm: FakeLLM) -> None:
    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        replies = []
        for frame in ["{not json", "[1, 2]", '"text"', "{}", '{"message": 5}', '{"message": null}',
                      '{"message": "hi", "session_id": 7}', '{"message": "hi", "model": ["x"]}',
                      json.dumps({"message": "x" * 70_000}), "[" * 20_000 + "]" * 20_000]:  # fmt: skip
            await ws.send_to(text_data=frame)
            replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(bytes_data=b"\x00\x01binary")
        replies.append(json.loads(await ws.receive_from()))
        answered = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        return replies, answered

    replies, answered = run(scenario)
    assert all(r["type"] == "error" and r["code"] == "invalid" for r in replies), replies
    assert replies[0]["message"] == "That message could not be read: it is not valid JSON."
    assert replies[3]["message"] == 'That message could not be read: "message" must be text.'
    assert "too large" in replies[8]["message"]
    assert replies[9]["message"] == "That message could not be read: it is not valid JSON."  # too deep
    assert "binary" in replies[10]["message"]
    assert answered[-1]["type"] == "end"
    assert Message.objects.filter(role=Message.Role.USER).count() == 1


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"message": ""}, "invalid", "Type a question first."),
        ({"message": "Hi\x00there"}, "invalid", "NUL"),
        ({"message": "Hi", "model": "gpt-5-ultra"}, "invalid", "That model is not available here."),
        (
            {"message": "Hi", "session_id": "7d0b2c39-0000-4000-8000-000000000000"},
            "not_found",
            "no longer exists",
        ),
        ({"message": "Hi", "session_id": "not-a-session"}, "not_found", "no longer exists"),
    ],
)
def test_it_refuses_what_the_pages_refuse(
    cast: Cast, llm: FakeLLM, fields: dict, code: str, words: str
) -> None:
    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        await ws.send_to(text_data=json.dumps(fields))
        frames = await frames_until(ws)
        await ws.disconnect()
        return frames

    (frame,) = run(scenario)
    assert (frame["type"], frame["code"]) == ("error", code)
    assert words.lower() in frame["message"].lower(), frame["message"]
    assert llm.chats == [] and not Message.objects.exists()


def test_it_never_continues_another_persons_conversation(cast: Cast, llm: FakeLLM) -> None:
    theirs = ChatSession.objects.create(tenant=cast.acme, user=cast.owner, title="Owner's")

    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        frames = await ask(ws, "Hi", session_id=str(theirs.public_id))
        await ws.disconnect()
        return frames

    (frame,) = run(scenario)
    assert frame["code"] == "not_found"
    assert not Message.objects.exists()


def test_it_counts_messages_against_the_members_rate_limit(cast: Cast, llm: FakeLLM, settings) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2

    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        replies = [(await ask(ws, f"Refund policy? ({i})"))[-1] for i in range(3)]
        await ws.disconnect()
        return replies

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=True):
        replies = run(scenario)
    assert [r["type"] for r in replies] == ["end", "end", "error"]
    assert replies[2]["code"] == "rate_limited"
    assert "You have sent 2 messages in the last minute" in replies[2]["message"]
    assert len(llm.chats) == 2


def test_it_refuses_a_question_over_budget_before_calling_any_model(cast: Cast, llm: FakeLLM) -> None:
    Quota.objects.create(tenant=cast.acme, member_daily_tokens=5000)

    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        frames = await ask(ws, "Refunds?")
        await ws.disconnect()
        return frames

    (frame,) = run(scenario)
    assert frame["code"] == "budget" and "daily budget per member" in frame["message"]
    assert llm.chats == [] and not Message.objects.exists()


def test_it_asks_for_one_question_at_a_time(cast: Cast, llm: FakeLLM) -> None:
    llm.script(Reply(tokens=[f"w{i} " for i in range(20)], delay=0.05))

    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        await ws.send_to(text_data=json.dumps({"message": "Refund policy?"}))
        await frames_until(ws, lambda f: f["type"] == "delta")
        await ws.send_to(text_data=json.dumps({"message": "Another?"}))
        frames = await frames_until(ws, lambda f: f["type"] in ("error", "end"))
        await ws.disconnect()
        return frames

    frames = run(scenario)
    assert frames[-1]["code"] == "busy"


def test_it_stops_the_model_request_when_the_client_goes_away(cast: Cast, llm: FakeLLM) -> None:
    llm.script(Reply(tokens=[f"word{i} " for i in range(40)], delay=0.05))

    async def scenario():
        ws = socket(token_for(cast.member))
        assert (await ws.connect())[0]
        await ws.send_to(text_data=json.dumps({"message": "Refund policy?"}))
        await frames_until(ws, lambda f: f.get("token") == "word2 ")
        await ws.disconnect()  # returns once the consumer has finished

    run(scenario)
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.CANCELLED
    assert answer.content.startswith("word0 word1 word2 ")
    deadline = time.monotonic() + 5
    while not llm.chats[0].aborted:  # the fake server notices the dropped request a moment later
        assert time.monotonic() < deadline, "the model request was not dropped"
        time.sleep(0.05)
    assert not llm.chats[0].completed
