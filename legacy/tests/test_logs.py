"""The server's log lines name /ws/chat?token=...; the token itself never reaches the log."""

import logging

from legacy.logs import RedactTokens


def test_it_blanks_the_token_in_the_servers_websocket_log_line() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
        (("127.0.0.1", 5000), "/ws/chat?token=eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl&tenant=acme"), None,
    )  # fmt: skip
    assert RedactTokens().filter(record)
    assert (
        record.getMessage()
        == "('127.0.0.1', 5000) - \"WebSocket /ws/chat?token=[redacted]&tenant=acme\" [accepted]"
    )


def test_it_is_installed_on_the_servers_loggers() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        assert any(isinstance(f, RedactTokens) for f in logging.getLogger(name).filters)
