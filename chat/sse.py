"""A lean reader of a model's streamed answer: the openai SDK's AsyncStream, with its events read by
splitting the bytes at blank lines instead of line by line through its general decoder.

The SDK's reader (openai._streaming) decodes every line into a ServerSentEvent, then each event's
JSON; in the 200-chat burst that was about a tenth of a busy web process's time (py-spy). This one
keeps what the SDK does with the events ([DONE], an `error` event raised as APIError, timeouts and
broken connections as APITimeoutError and APIConnectionError, the response closed at the end) and
yields each chunk as the JSON dict it arrived as. openai is pinned: the two private helpers used
here are the SDK's own, so errors are mapped exactly as it maps them.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
from openai._httpx2 import request_exceptions, timeout_exceptions
from openai._streaming_cleanup import drain_response_async

STREAM_ERROR = "An error occurred during streaming"  # the SDK's words when an error has no message


def event_data(event: bytes) -> str | None:
    """The data of one event (its `data:` lines joined), or None when it has none."""
    text = event.decode()
    if text.startswith("data:") and "\n" not in text:  # nearly every event: one data line
        return text[6:] if text.startswith("data: ") else text[5:]
    data = [
        line[6:] if line.startswith("data: ") else line[5:]
        for line in text.split("\n")
        if line.startswith("data:")
    ]
    return "\n".join(data) if data else None


async def event_texts(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The data of each complete event in a stream of bytes, in order. Lines may end in CR, LF or
    CRLF (a CR at the end of a chunk waits for the next one); an unfinished last event is dropped,
    as the standard says."""
    pending = b""
    async for chunk in chunks:
        pending += chunk
        held_cr = b""
        if b"\r" in pending:
            if pending.endswith(b"\r"):
                pending, held_cr = pending[:-1], b"\r"
            pending = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *events, pending = pending.split(b"\n\n")
        pending += held_cr
        for event in events:
            if (data := event_data(event)) is not None:
                yield data
    # The stream ended on a held CR that ended the last event.
    if pending.endswith(b"\n\r") and (data := event_data(pending[:-2])) is not None:
        yield data


class LeanStream(openai.AsyncStream[object]):
    """openai.AsyncStream whose chunks are the dicts of the streamed JSON, read cheaply."""

    async def __stream__(self) -> AsyncIterator[Any]:  # type: ignore[override]
        response = self.response
        try:
            async for data in self._texts():
                if data.startswith("[DONE]"):
                    if response.http_version == "HTTP/1.1":  # as the SDK: reuse the connection
                        await drain_response_async(response)
                    break
                chunk = json.loads(data)
                if isinstance(chunk, dict) and chunk.get("error"):
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else None
                    raise openai.APIError(
                        message=message if message and isinstance(message, str) else STREAM_ERROR,
                        request=response.request,
                        body=error,
                    )
                yield chunk
        finally:
            await response.aclose()

    async def _texts(self) -> AsyncIterator[str]:
        try:
            async for data in event_texts(self.response.aiter_bytes()):
                yield data
        except timeout_exceptions() as err:
            raise openai.APITimeoutError(request=self.response.request) from err
        except request_exceptions() as err:
            raise openai.APIConnectionError(request=self.response.request) from err
