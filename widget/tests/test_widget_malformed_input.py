"""Every unreadable frame on the widget's socket gets a clear error, and the socket stays usable."""

import json

import pytest
from asgiref.sync import async_to_sync

from docuchat.testing import Cast
from widget.tests.helpers import live, socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"bytes_data": b"\x00\x01"}, "send JSON text, not binary data"),
        ({"text_data": "x" * 70_000}, "That message is too large."),
        ({"text_data": "{nope"}, "it is not valid JSON"),
        ({"text_data": "[" * 20_000 + "]" * 20_000}, "it is not valid JSON"),  # nested too deep
        ({"text_data": "[1, 2]"}, "expected a JSON object"),
        ({"text_data": json.dumps({"action": "ask", "message": 7})}, "“message” must be text"),
        ({"text_data": json.dumps({"action": "dance"})}, "Unknown action 'dance'."),
        ({"text_data": json.dumps({"action": "ask", "message": "Hi"})}, "Say hello first."),
        ({"text_data": json.dumps({"action": "feedback", "answer": "x", "value": "up"})}, "Say hello first."),
    ],
)
def test_it_answers_an_unreadable_frame_with_an_error(cast: Cast, frame: dict, error: str) -> None:
    assistant = live(cast.acme)

    async def scenario() -> tuple[dict, dict]:
        ws = socket(assistant)
        assert (await ws.connect())[0]
        await ws.send_to(**frame)
        reply = json.loads(await ws.receive_from(timeout=5))
        await ws.send_to(text_data=json.dumps({"action": "hello"}))
        still = json.loads(await ws.receive_from(timeout=5))
        await ws.disconnect()
        return reply, still

    reply, still = async_to_sync(scenario)()
    assert reply["type"] == "error" and error in reply["message"]
    assert still["type"] == "hello"
