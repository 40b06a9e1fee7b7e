"""The v1 socket carries its token in the URL (/ws/chat?token=...), as the original clients send
it; the server's log lines name that URL. This filter blanks the token in them, so that a log
never holds a credential."""

import logging
import re
from typing import Any

TOKEN = re.compile(r"((?:^|[?&])token=)[^&\s\"']*")
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access", "django.request", "django.channels.server")


def redact(value: Any) -> Any:
    return TOKEN.sub(r"\1[redacted]", value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        record.msg = redact(record.msg)
        return True


def install() -> None:
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
