"""The API over real HTTP, on production's server: SSE disconnects, and the real openai client."""

import http.client
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import openai
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from api.tests.conftest import MakeKey
from chat.models import Message
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from docuchat.testing import Cast, LiveApp, start_live_app, stop_live_app
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
SLOW = Reply(tokens=[f"word{i} " for i in range(60)], delay=0.05)


@pytest.fixture
def server(cast: Cast, live_llm: FakeLLM, settings: SettingsWrapper, tmp_path: Path) -> Iterator[LiveApp]:
    make_document(cast.acme, "Handbook", ["Refund policy: returns within 30 days get a full refund."])
    env = {
        "OPENAI_API_KEY": settings.OPENAI_API_KEY,
        "OPENAI_BASE_URL": live_llm.url,
        "DATA_DIR": str(tmp_path),
    }
    app = start_live_app(tmp_path, extra_env=env)
    yield app
    stop_live_app(app)


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_it_cancels_the_model_request_when_an_sse_client_disconnects(
    server: LiveApp, cast: Cast, make_key: MakeKey, live_llm: FakeLLM
) -> None:
    live_llm.script(SLOW)
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = json.dumps({"question": "What is the refund policy?", "stream": True})
    headers = {"Authorization": f"Bearer {make_key(cast.acme, ['chat'])}", "Content-Type": "application/json"}
    conn.request("POST", "/api/v1/chat", body, headers)
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    seen = b""
    while b"event: delta" not in seen:
        seen += response.read1(4096)
    conn.sock.close()  # the client goes away mid-answer
    conn.close()

    wait_for(lambda: live_llm.chats and live_llm.chats[0].aborted)  # the model request was dropped
    assert not live_llm.chats[0].completed
    wait_for(lambda: Message.objects.filter(role="assistant").exclude(status="streaming").exists())
    answer = Message.objects.get(role="assistant")
    assert answer.status == Message.Status.CANCELLED
    assert 0 < len(answer.content.split()) < 60
    assert UsageRecord.objects.filter(kind="chat", api_key__isnull=False).exists()


def test_the_openai_client_gets_grounded_cited_answers(
    server: LiveApp, cast: Cast, make_key: MakeKey
) -> None:
    client = openai.OpenAI(api_key=make_key(cast.acme, ["chat"]), base_url=f"{server.url}/api/v1/openai")
    [model] = client.models.list().data
    assert model.name == "Assistant"  # the default assistant  # type: ignore[attr-defined]

    completion = client.chat.completions.create(
        model=model.id,
        messages=[
            {"role": "system", "content": "ignored: the assistant's instructions apply"},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! Ask me about the handbook."},
            {"role": "user", "content": "What is the refund policy?"},
        ],
    )
    assert completion.choices[0].message.content == "The answer is in the handbook [1]."
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    sources = completion.model_extra["sources"]  # type: ignore[index]
    assert sources[0]["title"] == "Handbook" and sources[0]["n"] == 1
    history = Message.objects.filter(session__public_id=completion.model_extra["conversation"])  # type: ignore[index]
    assert [m.content for m in history.order_by("created", "id")][:3] == [
        "Hello", "Hi! Ask me about the handbook.", "What is the refund policy?",
    ]  # fmt: skip

    stream = client.chat.completions.create(
        model=model.id,
        messages=[{"role": "user", "content": "What is the refund policy?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is in the handbook [1]."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert finished and finished[0].model_extra["sources"][0]["title"] == "Handbook"  # type: ignore[index]


def test_the_openai_client_sees_our_errors(server: LiveApp, cast: Cast, make_key: MakeKey) -> None:
    client = openai.OpenAI(api_key=make_key(cast.acme, ["chat"]), base_url=f"{server.url}/api/v1/openai")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}])
    wrong = openai.OpenAI(api_key="dck_wrong", base_url=f"{server.url}/api/v1/openai")
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    theirs = openai.OpenAI(api_key=make_key(cast.globex, ["chat"]), base_url=f"{server.url}/api/v1/openai")
    acme_model = client.models.list().data[0].id
    assert acme_model not in [m.id for m in theirs.models.list().data]
    with pytest.raises(openai.NotFoundError):
        theirs.chat.completions.create(model=acme_model, messages=[{"role": "user", "content": "Hi"}])


def test_it_cancels_the_model_request_when_a_json_client_disconnects(
    server: LiveApp, cast: Cast, make_key: MakeKey, live_llm: FakeLLM
) -> None:
    live_llm.script(SLOW)
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = json.dumps({"question": "What is the refund policy?"})
    headers = {"Authorization": f"Bearer {make_key(cast.acme, ['chat'])}", "Content-Type": "application/json"}
    conn.request("POST", "/api/v1/chat", body, headers)
    wait_for(lambda: live_llm.chats)  # the model is answering, slowly (3 s in all)
    time.sleep(0.3)
    conn.sock.close()  # the client gives up before the answer
    conn.close()

    wait_for(lambda: live_llm.chats[0].aborted)  # the model request was dropped
    assert not live_llm.chats[0].completed
    wait_for(lambda: Message.objects.filter(role="assistant").exclude(status="streaming").exists())
    answer = Message.objects.get(role="assistant")
    assert answer.status == Message.Status.CANCELLED
    assert UsageRecord.objects.filter(kind="chat", api_key__isnull=False).exists()


def test_it_cancels_the_model_request_when_an_openai_stream_is_closed(
    server: LiveApp, cast: Cast, make_key: MakeKey, live_llm: FakeLLM
) -> None:
    live_llm.script(SLOW)
    client = openai.OpenAI(api_key=make_key(cast.acme, ["chat"]), base_url=f"{server.url}/api/v1/openai")
    model = client.models.list().data[0].id
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What is the refund policy?"}], stream=True
    )
    next(c for c in stream if c.choices and c.choices[0].delta.content)
    stream.close()  # the client stops reading and closes the connection

    wait_for(lambda: live_llm.chats and live_llm.chats[0].aborted)
    wait_for(lambda: Message.objects.filter(role="assistant").exclude(status="streaming").exists())
    assert Message.objects.get(role="assistant").status == Message.Status.CANCELLED


def test_the_readmes_openai_example_runs(
    server: LiveApp, cast: Cast, make_key: MakeKey, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.tests.test_readme import api_section

    [example] = re.findall(r"```python\n(.*?)```", api_section(), re.S)
    example = example.replace('"dck_..."', repr(make_key(cast.acme, ["chat"])))
    example = example.replace("http://127.0.0.1:8000", server.url)
    exec(compile(example, "README.md", "exec"), {})  # noqa: S102  (our own README's example)
    printed = capsys.readouterr().out
    answered, streamed = printed.split("\n", 1)
    assert answered.startswith("The answer is in the handbook [1]. [{'n': 1,") and "'Handbook'" in answered
    assert streamed.strip()  # the streamed answer, piece by piece
