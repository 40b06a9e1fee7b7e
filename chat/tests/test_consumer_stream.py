import json

import pytest
from asgiref.sync import async_to_sync

from assistants.models import Assistant
from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.ws import communicator, receive_until, signed_in, streamed_text
from docuchat.lib.tokens import count_tokens
from docuchat.testing import Cast
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)

HANDBOOK = [
    "Welcome to Acme. This handbook explains how we work.",
    "Refund policy: customers may return any product within 30 days for a full refund.",
]


def ask(user, message: str, **extra) -> list[str]:
    headers = signed_in(user)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        connected, _ = await ws.connect()
        assert connected
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": message, **extra}))
        frames = await receive_until(ws)
        await ws.disconnect()
        return frames

    return async_to_sync(scenario)()


def test_it_streams_the_answer_token_by_token_then_renders_it_with_sources(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    llm.script(
        Reply(tokens=["Returns ", "are ", "accepted ", "for ", "**30 days** ", "[1]."], usage=(321, 6))
    )

    frames = ask(cast.member, "What is the refund policy?")

    assert 'id="msg-' in frames[0] and "What is the refund policy?" in frames[0]  # the question, at once
    deltas = [f for f in frames if f.startswith('<span hx-swap-oob="beforeend:#body-')]
    assert len(deltas) == 6  # one fragment per token
    assert streamed_text(frames) == "Returns are accepted for **30 days** [1]."
    final = frames[-1]
    assert "<strong>30 days</strong>" in final  # rendered Markdown replaces the streamed text
    assert 'class="sources"' in final and "Handbook" in final and "page 2" in final
    assert "#page=2" in final

    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.COMPLETE
    assert answer.content == "Returns are accepted for **30 days** [1]."
    assert (answer.prompt_tokens, answer.completion_tokens) == (321, 6)  # the API's own figures
    assert answer.first_token_ms is not None and answer.total_ms >= answer.first_token_ms
    assert answer.sources[0]["title"] == "Handbook" and answer.sources[0]["page_start"] == 2
    usage = UsageRecord.objects.get(kind=UsageRecord.Kind.CHAT)
    assert usage.message == answer and (usage.prompt_tokens, usage.completion_tokens) == (321, 6)
    embedding = UsageRecord.objects.get(kind=UsageRecord.Kind.QUERY_EMBEDDING)
    assert embedding.user == cast.member and embedding.message == answer and embedding.prompt_tokens > 0

    sent = llm.chats[0].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert "[1] Handbook (page 2)" in sent["messages"][-1]["content"]
    session = ChatSession.objects.get()
    assert session.user == cast.member and session.tenant == cast.acme
    assert session.title == "What is the refund policy?"


def test_it_answers_offline_with_quoted_cited_passages(cast: Cast, settings) -> None:
    settings.OPENAI_API_KEY = ""
    make_document(cast.acme, "Handbook", HANDBOOK)

    frames = ask(cast.member, "What is the refund policy?")

    assert len([f for f in frames if "beforeend:#body-" in f]) > 10  # streamed, word by word
    final = frames[-1]
    assert "No language model is configured" in final
    assert "<blockquote>" in final and "30 days for a full refund" in final
    assert 'href="#src-' in final and 'class="sources"' in final
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert answer.model == "offline-extractive" and answer.status == Message.Status.COMPLETE
    usage = UsageRecord.objects.get(kind=UsageRecord.Kind.CHAT)
    assert usage.message == answer and usage.cost == 0
    assert usage.completion_tokens == count_tokens(answer.content) and usage.prompt_tokens > 0


def test_it_says_so_when_no_document_is_relevant_and_asks_no_model(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)

    frames = ask(cast.member, "Who won the 1998 football world cup?")

    assert "I could not find anything in this workspace's documents" in frames[-1]
    assert 'class="sources"' not in frames[-1]
    assert llm.chats == []  # nothing was sent to the model
    assert not UsageRecord.objects.filter(kind=UsageRecord.Kind.CHAT).exists()


def test_it_continues_a_session_with_its_recent_turns(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    first = ask(cast.member, "What is the refund policy?")
    session = ChatSession.objects.get()

    follow = ask(cast.member, "And is the refund policy for all products?", session=str(session.public_id))

    assert f'id="session-{session.public_id}" hx-swap-oob="delete"' in follow[0]  # moves to the top
    assert 'id="chat-empty" hx-swap-oob="delete"' in first[0] and "chat-empty" not in follow[0]
    sent = [m["role"] for m in llm.chats[1].body["messages"]]
    assert sent == ["system", "user", "assistant", "user"]
    assert llm.chats[1].body["messages"][1]["content"] == "What is the refund policy?"
    assert ChatSession.objects.count() == 1 and session.messages.count() == 4


def test_it_regenerates_the_last_answer(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    ask(cast.member, "What is the refund policy?")
    session = ChatSession.objects.get()
    old = session.messages.get(role=Message.Role.ASSISTANT)
    llm.script(Reply(tokens=["Thirty ", "days [1]."]))

    frames = ask_raw(cast.member, {"action": "regenerate", "session": str(session.public_id)})

    assert f'id="msg-{old.public_id}" hx-swap-oob="delete"' in frames[0]
    assert streamed_text(frames) == "Thirty days [1]."
    answers = session.messages.filter(role=Message.Role.ASSISTANT)
    assert [a.content for a in answers] == ["Thirty days [1]."]
    assert UsageRecord.objects.filter(kind=UsageRecord.Kind.CHAT).count() == 2  # both calls stay metered


def ask_raw(user, message: dict) -> list[str]:
    headers = signed_in(user)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps(message))
        frames = await receive_until(ws)
        await ws.disconnect()
        return frames

    return async_to_sync(scenario)()


def test_it_uses_the_chosen_model_documents_and_the_workspace_instructions(
    cast: Cast, llm: FakeLLM, settings
) -> None:
    settings.ALLOWED_MODELS = ["gpt-4o-mini", "gpt-4o"]
    assistant = Assistant.objects.get(tenant=cast.acme, is_default=True)
    assistant.instruction_blocks.create(position=0, text="Always answer in one sentence.")
    assistant.instruction_blocks.create(position=1, text="Switched off.", enabled=False)
    make_document(cast.acme, "Handbook", HANDBOOK)
    desk = make_document(cast.acme, "Returns desk", ["The refund policy of the returns desk: 60 days."])

    ask(cast.member, "What is the refund policy?", model="gpt-4o", documents=[str(desk.public_id)])

    body = llm.chats[0].body
    assert body["model"] == "gpt-4o"
    assert body["messages"][0]["content"].endswith("Always answer in one sentence.")  # not "Switched off."
    assert "[1] Returns desk" in body["messages"][-1]["content"]
    assert "Handbook" not in body["messages"][-1]["content"]  # only the chosen document
    session = ChatSession.objects.get()
    assert session.model == "gpt-4o" and list(session.documents.all()) == [desk]
    assert Message.objects.get(role=Message.Role.ASSISTANT).model == "gpt-4o"


def test_it_answers_as_the_assistant_picked_in_the_staff_chat(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    desk = make_document(cast.acme, "Returns desk", ["The refund policy of the returns desk: 60 days."])
    sales = Assistant.objects.create(tenant=cast.acme, name="Sales", all_documents=False)
    sales.documents.set([desk])
    sales.instruction_blocks.create(position=0, text="Answer as the sales desk.")

    ask(cast.member, "What is the refund policy?", assistant=str(sales.public_id))

    body = llm.chats[0].body
    assert body["messages"][0]["content"].endswith("Answer as the sales desk.")
    assert "[1] Returns desk" in body["messages"][-1]["content"]
    assert "Handbook" not in body["messages"][-1]["content"]  # only the assistant's documents
    assert ChatSession.objects.get().assistant == sales


def test_it_refuses_another_workspaces_assistant_in_the_staff_chat(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    theirs = Assistant.objects.create(tenant=cast.globex, name="Theirs")

    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        assert (await ws.connect())[0]
        question = {"action": "ask", "message": "What is the refund?", "assistant": str(theirs.public_id)}
        await ws.send_to(text_data=json.dumps(question))
        frames = await receive_until(ws, lambda frame: "no longer exists" in frame)
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert "That assistant no longer exists. Choose another." in frames[-1]
    assert llm.chats == [] and not ChatSession.objects.filter(assistant=theirs).exists()
