"""Middleware that costs an API request no thread hop under ASGI.

Django runs the synchronous parts of the middleware chain in a thread per request: every
`MiddlewareMixin` hook (process_request, process_view, process_response) and every middleware that
is not async-capable is a hop from the event loop to that thread and back. A `POST /api/v1/chat`
took about twenty of them, 2 to 3 ms before the view on this machine, which made the first token
of an SSE answer later than the WebSocket's (docs/api.md, bench/api.py).

- `HopFreeASGIHandler`: Django's ASGI handler, running the hop-free form of each middleware of
  settings.MIDDLEWARE that has one (docuchat/middleware.py HOP_FREE). The setting itself keeps
  Django's own classes: `check --deploy` and the admin's checks look for them by name, and the
  test client runs them as they are (the same behaviour, synchronously).
- `DualMiddleware`: a base for our own middleware, which works in both chains without a hop.
- `inline(cls)`: one of Django's header middlewares (security, CSP, common, clickjacking), whose
  hooks only read settings and set headers: run on the event loop, as quick as a hop's overhead.
- `for_pages(cls)`: a browser middleware (cookies, sessions, CSRF, messages, htmx, a tenant's
  pages) for the pages only. A request to an API door (`MACHINE_DOORS`: bearer keys and tokens,
  no cookies, JSON only) passes it by on the event loop.
"""

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse

MACHINE_DOORS = ("/api/", "/v1/")  # the REST and OpenAI-compatible API, and the DocuChat v1 API


def is_machine_door(request: HttpRequest) -> bool:
    return request.path.startswith(MACHINE_DOORS)


class DualMiddleware:
    """Define `call` (synchronous) and `acall` (asynchronous); Django picks the one its chain needs."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        return self.acall(request) if self.is_async else self.call(request)

    def call(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    async def acall(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError


def for_pages(middleware: type) -> type:
    """`middleware`, run for every request but those to the API doors, which pass it by.

    Its process_view, if it has one, is kept (and skipped for the API doors likewise). It must not
    have other hooks (process_exception, process_template_response): they would be lost.
    """
    for hook in ("process_exception", "process_template_response"):
        assert not hasattr(middleware, hook), f"for_pages does not carry {middleware.__name__}.{hook}"
    inner_is_async = getattr(middleware, "async_capable", False)

    class ForPages(DualMiddleware):
        def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
            super().__init__(get_response)
            if self.is_async and not inner_is_async:  # as Django adapts a synchronous middleware
                self.inner = middleware(async_to_sync(get_response))
                self.inner_call = sync_to_async(self.inner, thread_sensitive=True)
            else:
                self.inner = self.inner_call = middleware(get_response)
            if hasattr(self.inner, "process_view"):
                self.process_view = self.aview if self.is_async else self.view

        def call(self, request: HttpRequest) -> HttpResponse:
            return self.get_response(request) if is_machine_door(request) else self.inner_call(request)

        async def acall(self, request: HttpRequest) -> HttpResponse:
            if is_machine_door(request):
                return await self.get_response(request)
            return await self.inner_call(request)

        def view(self, request: HttpRequest, *args: Any) -> HttpResponse | None:
            return None if is_machine_door(request) else self.inner.process_view(request, *args)

        async def aview(self, request: HttpRequest, *args: Any) -> HttpResponse | None:
            if is_machine_door(request):
                return None
            return await sync_to_async(self.inner.process_view, thread_sensitive=True)(request, *args)

    ForPages.__name__ = ForPages.__qualname__ = f"ForPages({middleware.__name__})"
    return ForPages


def inline(middleware: type) -> type:
    """A MiddlewareMixin whose process_request and process_response never block (no database, no
    files, no network: headers and redirects from settings), with its hooks called in place on
    the event loop instead of in a thread each."""

    class Inline(DualMiddleware):
        def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
            super().__init__(get_response)
            self.inner = middleware(get_response)
            self.before = getattr(self.inner, "process_request", None)
            self.after = getattr(self.inner, "process_response", None)

        def call(self, request: HttpRequest) -> HttpResponse:
            return self.inner(request)  # as Django runs it

        async def acall(self, request: HttpRequest) -> HttpResponse:
            response = self.before(request) if self.before else None
            response = response or await self.get_response(request)
            return self.after(request, response) if self.after else response

    Inline.__name__ = Inline.__qualname__ = f"Inline({middleware.__name__})"
    return Inline


class HopFreeASGIHandler(ASGIHandler):
    def __init__(self, hop_free: dict[str, str]) -> None:
        self.hop_free = hop_free
        super().__init__()  # loads the middleware

    def load_middleware(self, is_async: bool = False) -> None:
        declared = settings.MIDDLEWARE
        settings.MIDDLEWARE = [self.hop_free.get(path, path) for path in declared]
        try:  # at start-up, before any request: nothing else reads the setting meanwhile
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = declared
