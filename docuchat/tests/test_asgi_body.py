import asyncio
from typing import Any

from docuchat.lib.asgi_body import JoinBodyMessages


def deliver(messages: list[dict[str, Any]], piece: int, scope_type: str = "http") -> list[dict[str, Any]]:
    """What the wrapped app receives, until the end of the body (or a disconnect)."""
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if not message.get("more_body"):
                return

    async def main() -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in messages:
            queue.put_nowait(message)
        await JoinBodyMessages(app, piece=piece)({"type": scope_type}, queue.get, None)

    asyncio.run(main())
    return seen


def chunks(count: int, size: int = 8) -> list[dict[str, Any]]:
    return [
        {"type": "http.request", "body": bytes([i]) * size, "more_body": i < count - 1} for i in range(count)
    ]


def test_it_joins_small_body_messages_into_pieces() -> None:
    seen = deliver(chunks(10), piece=32)
    assert [len(m["body"]) for m in seen] == [32, 32, 16]
    assert [m["more_body"] for m in seen] == [True, True, False]
    assert b"".join(m["body"] for m in seen) == b"".join(m["body"] for m in chunks(10))


def test_it_passes_a_single_message_body_unchanged() -> None:
    assert deliver(chunks(1), piece=32) == chunks(1)


def test_it_still_reports_a_disconnect_after_a_partial_piece() -> None:
    messages = [*chunks(3)[:2], {"type": "http.disconnect"}]
    seen = deliver(messages, piece=1024)
    assert seen[0] == {"type": "http.request", "body": bytes([0]) * 8 + bytes([1]) * 8, "more_body": True}
    assert seen[1] == {"type": "http.disconnect"}


def test_it_leaves_other_protocols_alone() -> None:
    assert deliver(chunks(4), piece=32, scope_type="websocket") == chunks(4)


def test_it_stops_twisted_parsing_uploads_that_django_parses() -> None:
    from unittest.mock import MagicMock

    from daphne.http_protocol import WebRequest

    import docuchat.asgi  # noqa: F401  (applies it, as daphne loading the app does)
    from docuchat.lib.asgi_body import stop_twisted_parsing_forms

    stop_twisted_parsing_forms()  # a second call changes nothing
    assert WebRequest(MagicMock())._parsePOSTFormSubmission is False
