"""Refuse requests that carry a NUL character, with a 400 that says so, before any view runs.

No field of the app accepts NUL (U+0000): PostgreSQL cannot store it in text, so a NUL in a URL, a
query string, a form or a cookie used to reach the database as a DataError, and a 500. Django's
form fields already refuse it, but views also read raw parameters (a `next` URL, a workspace
slug, a session cookie). The check runs as the view is chosen, right after the CSRF check, and
like it reads form bodies (urlencoded or multipart) except for views exempt from CSRF: the
upload view must install its size limit before anything reads its body (documents/views.py).
"""

from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from docuchat.lib.middleware import DualMiddleware

NUL = "\x00"
MESSAGE = "This request contains a NUL character (\\x00), which no address or field accepts. Remove it."


def _has_nul(texts: Iterable[str]) -> bool:
    return any(NUL in text for text in texts)


def _query_texts(query: object) -> Iterable[str]:
    for key, values in query.lists():  # type: ignore[attr-defined]
        yield key
        yield from values


def carries_nul(request: HttpRequest, *, read_body: bool) -> bool:
    if NUL in request.path or _has_nul(_query_texts(request.GET)):
        return True
    if _has_nul(request.COOKIES.values()):
        return True
    return read_body and request.method == "POST" and _has_nul(_query_texts(request.POST))


class RejectNulMiddleware(DualMiddleware):
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.process_view = self.aview if self.is_async else self.view

    def call(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        return await self.get_response(request)

    def view(self, request: HttpRequest, view: Callable[..., Any], *args: Any) -> HttpResponse | None:
        if carries_nul(request, read_body=not getattr(view, "csrf_exempt", False)):
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return None

    async def aview(self, request: HttpRequest, view: Callable[..., Any], *args: Any) -> HttpResponse | None:
        """On the event loop when it reads no body (the API's views, exempt from CSRF); a form's
        body may be large (an upload), so that one is read in a thread."""
        if getattr(view, "csrf_exempt", False):
            return self.view(request, view, *args)
        return await sync_to_async(self.view, thread_sensitive=True)(request, view, *args)
