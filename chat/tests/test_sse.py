"""The model stream's event reader (chat/sse.py): the server-sent events standard's framing.

A mid-stream error event and a refused request are covered end to end, through the fake model, by
test_consumer_failures.py."""

import asyncio
from collections.abc import AsyncIterator

from chat.sse import event_texts


def read(*chunks: bytes) -> list[str]:
    async def arriving() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[str]:
        return [data async for data in event_texts(arriving())]

    return asyncio.run(collect())


def test_it_reads_each_events_data() -> None:
    assert read(b'data: {"a": 1}\n\ndata: [DONE]\n\n') == ['{"a": 1}', "[DONE]"]


def test_it_joins_an_event_split_across_chunks_anywhere() -> None:
    stream = 'data: {"text": "caf\u00e9"}\n\ndata: two\n\n'.encode()

    for cut in range(1, len(stream)):
        assert read(stream[:cut], stream[cut:]) == ['{"text": "caf\u00e9"}', "two"], cut


def test_it_reads_lines_ending_in_crlf_or_cr_even_when_a_chunk_ends_between_them() -> None:
    assert read(b"data: one\r\n\r\ndata: two\r\r") == ["one", "two"]
    assert read(b"data: one\r", b"\n\r", b"\ndata: two\r\n\r\n") == ["one", "two"]


def test_it_joins_data_lines_and_skips_comments_other_fields_and_empty_events() -> None:
    stream = b": keep-alive\n\nevent: message\nid: 7\ndata: first\ndata:second\n\n\n\nretry: 10\n\n"

    assert read(stream) == ["first\nsecond"]


def test_it_drops_an_unfinished_last_event() -> None:
    assert read(b"data: done\n\ndata: cut off") == ["done"]
