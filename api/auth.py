"""Authentication by API key, scopes, the per-key request limit, and CORS per key.

`KeyAuth(scope)` is a route's `auth`: a missing, wrong, revoked or expired key gets 401, a key
without `scope` 403 naming it, a key over its rate limit 429. The route then finds the key on
`request.auth`, and everything it reads is scoped to the key's workspace (api/access.py).
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.security import HttpBearer

from api import keys
from api.errors import PREFIX, ApiError
from api.models import ApiKey, Scope
from chat.callers import allowed_by_rate_limit
from chat.turns import in_db_thread
from docuchat.lib.middleware import DualMiddleware

MISSING = "Send an API key: 'Authorization: Bearer dck_...'."
INVALID = "This API key is not valid: it is wrong, revoked or expired."


class KeyAuth(HttpBearer):
    def __init__(self, *scopes: Scope, count: bool = True) -> None:
        super().__init__()
        self.scopes = scopes  # any one of them will do
        self.count = count  # False where the turn pipeline counts the request against the same limit

    def __call__(self, request: HttpRequest) -> ApiKey:
        value = request.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if not value:
            raise ApiError(401, "unauthorized", MISSING)
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", MISSING)
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = keys.authenticate(token)
        if key is None:
            raise ApiError(401, "invalid_key", INVALID)
        if self.scopes and not any(key.has_scope(s) for s in self.scopes):
            needed = " or ".join(f"'{s}'" for s in self.scopes)
            raise ApiError(403, "missing_scope", f"This API key lacks the {needed} scope.")
        if self.count and not allowed_by_rate_limit(f"api-request-{key.pk}", key.rate_per_minute):
            raise ApiError(
                429,
                "rate_limited",
                f"This API key has made {key.rate_per_minute} requests in the last minute, the most "
                "allowed. Wait a minute, then try again.",
            )
        request.api_key = key  # type: ignore[attr-defined]  (seen by the CORS middleware)
        return key


class AsyncKeyAuth(KeyAuth):
    """KeyAuth for async routes (chat), in the chat's own database threads.

    Their connections persist (CONN_MAX_AGE); Django's per-request thread opened a new one for
    every request, which made the first token of an SSE answer tens of milliseconds later than
    the WebSocket's (bench/api.py). Questions are counted by the turn (ApiKeyCaller.check_rate),
    against the same per-key limit.
    """

    def __init__(self, *scopes: Scope) -> None:
        super().__init__(*scopes, count=False)
        self.is_async = True  # ninja awaits what __call__ returns (AuthBase sets it False)

    def __call__(self, request: HttpRequest) -> Any:
        return in_db_thread(super().__call__)(request)


class TurnKeyAuth(KeyAuth):
    """For POST /api/v1/chat: only the header's shape is checked here, on the event loop; the key
    itself is looked up by the turn, in its first trip to the database (ApiKeyCaller.still_allowed,
    which every turn asks anyway). One database trip and two thread hops fewer before the first
    token (bench/api.py). The door answers 401 or 403 from what the caller found.
    """

    def __init__(self, *scopes: Scope) -> None:
        super().__init__(*scopes, count=False)
        self.is_async = True  # ninja awaits what __call__ returns (AuthBase sets it False)

    def __call__(self, request: HttpRequest) -> Any:
        return self._token(request)

    async def _token(self, request: HttpRequest) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", MISSING)
        return token.strip()


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class CorsMiddleware(DualMiddleware):
    """CORS for /api/, off unless a key lists the page's origin.

    A preflight (OPTIONS) carries no key, so it is allowed for an origin that some usable key
    lists; the request itself gets Access-Control-Allow-Origin only if its own key lists it.
    """

    METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
    HEADERS = "Authorization, Content-Type, Accept"

    def call(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin")
        if not request.path.startswith(PREFIX) or not origin:
            return self.get_response(request)
        if is_preflight(request):
            return self.preflight(origin)
        return self.allowed(request, origin, self.get_response(request))

    async def acall(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin")
        if not request.path.startswith(PREFIX) or not origin:
            return await self.get_response(request)
        if is_preflight(request):
            return await sync_to_async(self.preflight)(origin)
        return self.allowed(request, origin, await self.get_response(request))

    def allowed(self, request: HttpRequest, origin: str, response: HttpResponse) -> HttpResponse:
        key: Any = getattr(request, "api_key", None)
        if key is not None and origin in key.allowed_origins:
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
        return response

    def preflight(self, origin: str) -> HttpResponse:  # reads the database
        response = HttpResponse(status=204)
        response["Vary"] = "Origin"
        usable = Q(revoked__isnull=True) & (Q(expires__isnull=True) | Q(expires__gt=timezone.now()))
        listed = ApiKey.objects.filter(usable, allowed_origins__contains=[origin]).exists()
        if listed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = self.METHODS
            response["Access-Control-Allow-Headers"] = self.HEADERS
            response["Access-Control-Max-Age"] = "600"
        return response
