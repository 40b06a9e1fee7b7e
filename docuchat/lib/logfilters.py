"""Logging filters: what an operator reads in the logs is what needs their attention.

- `NoTracebackFor4xx` (on `django.request`): a refusal (403 PermissionDenied, 400 BadRequest) is
  the client's mistake, not ours. Django logs it with the exception's traceback; this keeps the
  one-line warning ("Forbidden (Permission denied): /t/acme/settings/") and drops the traceback.
- `NoEmptyGroupWarning` (on `channels_postgres.*`): pushing to a group that nobody listens to is
  normal (no browser has the Documents page open while `manage.py ingest` runs), yet the
  PostgreSQL channel layer warns "Group: ... does not exist, did you call group_add?" at every
  push. channels-redis says nothing in that case; its other warnings still show.
"""

import logging

EMPTY_GROUP = "Group: %s does not exist, did you call group_add?"


class NoTracebackFor4xx(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class NoEmptyGroupWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != EMPTY_GROUP
