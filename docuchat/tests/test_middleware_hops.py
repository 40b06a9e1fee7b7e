"""The served app's middleware (docuchat.asgi, docuchat/lib/middleware.py): an API request takes no
thread hop in the chain, and pages still get every browser middleware."""

from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from docuchat.asgi import application, django_asgi_app
from docuchat.testing import call_asgi

Sent = tuple[int, dict[str, str], bytes]


def call(app: Any, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Sent:
    answer = call_asgi(app, method, path, [body] if body else None, headers=headers, declared=len(body))
    return answer.status, answer.headers, answer.body


def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the synchronous functions run in a thread from here on."""
    seen: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return seen


ASK = ("POST", "/api/v1/chat", b'{"question": "hi"}', {"content-type": "application/json"})


def test_it_takes_no_thread_hop_in_the_middleware_for_an_api_request(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = hops(monkeypatch)
    status, headers, content = call(application, *ASK)  # no key: refused before the database
    assert status == 401 and b"API key" in content
    # Only Django's own bookkeeping: the request_started signal, closing the response (which sends
    # request_finished; both close old database connections), and logging a 4xx.
    assert set(seen) == {"Signal.asend.<locals>.sync_send", "HttpResponseBase.close", "log_response"}
    assert len(seen) == 3
    assert headers["x-content-type-options"] == "nosniff"  # Django's SecurityMiddleware still ran
    assert "set-cookie" not in headers and "cookie" not in headers.get("vary", "").lower()


def test_it_took_a_hop_per_hook_with_djangos_own_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = ASGIHandler()
    seen = hops(monkeypatch)
    assert call(plain, *ASK)[0] == 401
    # WhiteNoise (synchronous only) put the chain below it in a thread, and the views' hooks each
    # took one more: what the served app saves (bench/api.py).
    assert "convert_exception_to_response.<locals>.inner" in seen
    assert "CsrfViewMiddleware.process_view" in seen and len(seen) > 3


@pytest.mark.django_db(transaction=True)
def test_it_still_runs_every_browser_middleware_for_a_page() -> None:
    status, headers, content = call(application, "GET", "/login/")
    assert status == 200 and b"<form" in content
    assert "csrftoken" in headers["set-cookie"]  # CSRF
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in headers
    assert "Cookie" in headers["vary"]  # sessions


def test_it_keeps_djangos_own_classes_in_the_setting_for_its_checks() -> None:
    assert "django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    chain = repr(django_asgi_app._middleware_chain)
    assert django_asgi_app._view_middleware, chain
    names = [type(m.__self__).__name__ for m in django_asgi_app._view_middleware]
    assert names == ["ForPages(CsrfViewMiddleware)", "RejectNulMiddleware", "ForPages(TenantMiddleware)"]
