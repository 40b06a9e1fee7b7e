"""Pages during a database outage: 503 and a styled "back soon" page, not a generic 500.

A restart or a failover of PostgreSQL makes every query fail for a few seconds. Django's own
connection handling recovers by itself (each request checks its connection, CONN_HEALTH_CHECKS);
what the person sees meanwhile is this page, which reloads itself, with `Retry-After` for
clients and proxies. The failure is logged as one warning line, not a 500's traceback.

Two paths lead here: a view's query fails (the middleware), or a middleware's does (resolving
the workspace, reading the session), which Django hands to `handler500`.
"""

import logging
import sys
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.views.defaults import server_error as django_server_error

from docuchat.lib.dbwait import is_outage, one_line

logger = logging.getLogger(__name__)
RETRY_AFTER = 15  # seconds: a restart takes a few; a failover under a minute


def back_soon(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning("Database unavailable: 503 for %s %s (%s)", request.method, request.path, one_line(exc))
    html = render_to_string("503.html", {"retry_after": RETRY_AFTER})  # no request: no DB context
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return back_soon(request, exception) if is_outage(exception) else None


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: 503 for an outage met outside a view, Django's 500 page otherwise."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        assert exc is not None
        return back_soon(request, exc)
    return django_server_error(request, *args, **kwargs)
