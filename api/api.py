"""The REST API at /api/v1/ (django-ninja): its routers, its JSON errors, and its OpenAPI document.

Every route authenticates with an API key (api/auth.py) and reads only through api/access.py.
Every error answers {"code", "message"} (api/errors.py). See docs/api.md.
"""

import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from api.errors import ApiError, error_response
from docuchat.lib.body_limit import UNREADABLE_BODY, UNREADABLE_BODY_ERRORS
from docuchat.lib.dbwait import is_outage

log = logging.getLogger(__name__)


def _unstorable(value: Any) -> bool:
    """A NUL or an unpaired surrogate anywhere: PostgreSQL cannot store either in text."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


class StrictJson(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
        if _unstorable(data):
            raise ApiError(
                400, "invalid_text", "The request contains a NUL character or an unpaired surrogate."
            )
        return data


api = NinjaAPI(
    title="DocuChat API",
    version="1",
    description="Documents, grounded chat (JSON or Server-Sent Events) and usage, per workspace, "
    "with scoped API keys. An OpenAI-compatible endpoint is under /api/v1/openai/. See docs/api.md.",
    urls_namespace="api-v1",
    parser=StrictJson(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthorized", "Send an API key: 'Authorization: Bearer dck_...'.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "payload"))
    message = (
        f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "Invalid request."))
    )
    return error_response(422, "invalid_request", message, errors=_plain(exc.errors))


def _plain(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors]


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ApiError):  # ninja wraps the parser's refusal
        return _api_error(request, exc.__cause__)
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


def _unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django cannot parse (body_limit.UNREADABLE_BODY_ERRORS): a 400, not a 500."""
    log.warning("Unreadable API request %s %s: %s", request.method, request.path, exc)
    return error_response(400, "invalid_body", UNREADABLE_BODY)


for _error in UNREADABLE_BODY_ERRORS:
    api.add_exception_handler(_error, _unreadable)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if is_outage(exc):
        log.warning("Database unavailable: 503 for %s %s", request.method, request.path)
        response = error_response(503, "unavailable", "DocuChat is temporarily unavailable. Try again.")
        response["Retry-After"] = "15"
        return response
    log.exception("API request %s %s failed", request.method, request.path)
    return error_response(500, "server_error", "Something went wrong on our side. Try again.")


def _routers() -> None:
    from api.routes import assistants, chat, documents, openai, usage

    api.add_router("/documents", documents.router)
    api.add_router("/", chat.router)
    api.add_router("/usage", usage.router)
    api.add_router("/assistants", assistants.router)
    api.add_router("/openai", openai.router)


_routers()
