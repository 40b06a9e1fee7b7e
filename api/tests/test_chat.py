import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from api.models import ApiKey
from api.tests.conftest import KeyClient, MakeKey
from assistants.models import Assistant
from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/chat"
QUESTION = {"question": "What is the refund policy?"}


@pytest.fixture(autouse=True)
def handbook(cast: Cast, llm: FakeLLM) -> None:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])


@pytest.fixture
def client(cast: Cast, make_key: MakeKey) -> KeyClient:
    return KeyClient(make_key(cast.acme, ["chat"]))


def test_it_answers_with_sources_usage_and_a_conversation(client: KeyClient, cast: Cast) -> None:
    response = client.post(URL, QUESTION, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["answer"] == "The answer is in the handbook [1]."
    [source] = body["sources"]
    assert source["n"] == 1 and source["title"] == "Handbook" and source["page"] == 1
    assert "Refund policy" in source["snippet"]
    assert source["url"].endswith(f"/t/acme/documents/{source['document']}/file/#page=1")
    assert body["usage"]["completion_tokens"] > 0 and body["usage"]["prompt_tokens"] > 0
    session = ChatSession.objects.get(public_id=body["conversation"])
    assert session.api_key == ApiKey.objects.get() and session.user is None and session.tenant == cast.acme


def test_it_meters_the_usage_to_the_key(client: KeyClient) -> None:
    client.post(URL, QUESTION, content_type="application/json")
    key = ApiKey.objects.get()
    kinds = set(UsageRecord.objects.filter(api_key=key, user=None).values_list("kind", flat=True))
    assert kinds == {"chat", "query_embedding"}


def test_it_notes_the_keys_use_when_the_answer_is_saved(client: KeyClient) -> None:
    assert ApiKey.objects.get().last_used is None
    assert client.post(URL, QUESTION, content_type="application/json").status_code == 200
    key = ApiKey.objects.get()
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert key.last_used is not None and key.last_used >= answer.created


def test_it_continues_a_conversation_and_reads_it_back(client: KeyClient, llm: FakeLLM) -> None:
    first = client.post(URL, QUESTION, content_type="application/json").json()
    again = {"question": "And after 30 days?", "conversation": first["conversation"]}
    second = client.post(URL, again, content_type="application/json").json()
    assert second["conversation"] == first["conversation"]
    assert "What is the refund policy?" in json.dumps(
        llm.chats[1].body["messages"]
    )  # earlier turn in the prompt
    read = client.get(f"/api/v1/conversations/{first['conversation']}").json()
    assert [m["role"] for m in read["messages"]] == ["user", "assistant", "user", "assistant"]
    assert read["messages"][1]["sources"][0]["title"] == "Handbook"


def test_it_answers_404_for_a_conversation_of_another_key_or_workspace(cast: Cast, make_key: MakeKey) -> None:
    mine = KeyClient(make_key(cast.acme, ["chat"]))
    conversation = mine.post(URL, QUESTION, content_type="application/json").json()["conversation"]
    for other in (KeyClient(make_key(cast.acme, ["chat"])), KeyClient(make_key(cast.globex, ["chat"]))):
        assert other.get(f"/api/v1/conversations/{conversation}").status_code == 404
        follow = {"question": "More?", "conversation": conversation}
        response = other.post(URL, follow, content_type="application/json")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Message.objects.count() == 2  # nothing was added to it


def test_it_refuses_bad_questions_with_the_pipelines_words(client: KeyClient) -> None:
    for question, code in (("   ", 400), ("x" * 100_000, 400)):
        response = client.post(URL, {"question": question}, content_type="application/json")
        assert response.status_code == code and response.json()["code"] == "invalid"
    bad = client.post(URL, '{"question": "a\\u0000b"}', content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_text"
    assert client.post(URL, "not json", content_type="application/json").json()["code"] == "invalid_json"
    assert client.post(URL, {}, content_type="application/json").status_code == 422
    assert not Message.objects.exists()


def test_a_key_limited_to_an_assistant_cannot_ask_another(cast: Cast, make_key: MakeKey) -> None:
    support = Assistant.objects.create(tenant=cast.acme, name="Support")
    sales = Assistant.objects.create(tenant=cast.acme, name="Sales")
    client = KeyClient(make_key(cast.acme, ["chat"], assistant=support))
    refused = client.post(
        URL, {**QUESTION, "assistant": str(sales.public_id)}, content_type="application/json"
    )
    assert refused.status_code == 404
    answered = client.post(URL, QUESTION, content_type="application/json").json()
    assert ChatSession.objects.get(public_id=answered["conversation"]).assistant == support


def test_it_refuses_questions_over_the_keys_rate_limit(cast: Cast, make_key: MakeKey) -> None:
    key = make_key(cast.acme, ["chat"])
    ApiKey.objects.update(rate_per_minute=1)
    client = KeyClient(key)
    assert client.post(URL, QUESTION, content_type="application/json").status_code == 200
    assert client.post(URL, QUESTION, content_type="application/json").status_code == 429


def test_it_refuses_a_question_over_the_keys_monthly_budget(cast: Cast, make_key: MakeKey) -> None:
    client = KeyClient(make_key(cast.acme, ["chat"], monthly_tokens=10))
    response = client.post(URL, QUESTION, content_type="application/json")
    assert response.status_code == 429 and response.json()["code"] == "budget"
    assert "API key's monthly budget" in response.json()["message"]


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.mark.parametrize("how", ["body", "accept"])
def test_it_streams_server_sent_events(cast: Cast, make_key: MakeKey, how: str) -> None:
    key = make_key(cast.acme, ["chat"])

    async def stream() -> tuple[int, str, str]:
        body = {**QUESTION, "stream": True} if how == "body" else QUESTION
        headers = {"Authorization": f"Bearer {key}"}  # per request: AsyncClient(headers=) mangles them
        if how == "accept":
            headers["Accept"] = "text/event-stream"
        response = await AsyncClient().post(URL, body, content_type="application/json", headers=headers)
        text = "".join([part.decode() async for part in response.streaming_content])
        return response.status_code, response["Content-Type"], text

    status, content_type, text = async_to_sync(stream)()
    assert status == 200 and content_type == "text/event-stream"
    events = sse_events(text)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done" and set(names[1:-1]) == {"delta"}
    assert (
        "".join(data["text"] for name, data in events if name == "delta")
        == "The answer is in the handbook [1]."
    )
    assert events[0][1]["sources"][0]["title"] == "Handbook"
    done = events[-1][1]
    assert done["usage"]["completion_tokens"] > 0
    assert ChatSession.objects.filter(public_id=done["conversation"]).exists()


def test_it_streams_a_model_failure_as_an_error_event(cast: Cast, make_key: MakeKey, llm: FakeLLM) -> None:
    from chat.tests.fake_llm import Fail

    llm.script(Fail(status=500))
    key = make_key(cast.acme, ["chat"])

    async def stream() -> str:
        headers = {"Authorization": f"Bearer {key}"}
        response = await AsyncClient().post(
            URL, {**QUESTION, "stream": True}, content_type="application/json", headers=headers
        )
        return "".join([part.decode() async for part in response.streaming_content])

    events = sse_events(async_to_sync(stream)())
    assert events[-1][0] == "error" and events[-1][1]["code"] == "model"


@pytest.mark.parametrize(
    "path, stream",
    [
        (URL, False),
        (URL, True),
        ("/api/v1/openai/chat/completions", False),
        ("/api/v1/openai/chat/completions", True),
    ],
)
def test_it_meters_every_chat_path_to_the_key(cast: Cast, make_key: MakeKey, path: str, stream: bool) -> None:
    secret = make_key(cast.acme, ["chat"])
    if path == URL:
        body = {**QUESTION, "stream": stream}
    else:
        model = str(Assistant.objects.get(tenant=cast.acme).public_id)
        body = {
            "model": model,
            "messages": [{"role": "user", "content": QUESTION["question"]}],
            "stream": stream,
        }

    async def ask() -> int:
        headers = {"Authorization": f"Bearer {secret}"}
        response = await AsyncClient().post(path, body, content_type="application/json", headers=headers)
        if stream:
            [part async for part in response.streaming_content]
        return response.status_code

    assert async_to_sync(ask)() == 200
    key = ApiKey.objects.get()
    records = UsageRecord.objects.filter(tenant=cast.acme)
    assert set(records.values_list("kind", "api_key", "user")) == {
        ("chat", key.pk, None), ("query_embedding", key.pk, None),
    }  # fmt: skip
    assert Message.objects.get(role="assistant").session.api_key == key
