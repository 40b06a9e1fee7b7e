"""Every error under /api/ is JSON: {"code": "...", "message": "..."}, never an HTML page.

The API's own refusals raise `ApiError`. Whatever else answers an /api/ request with an error
(an unknown path, a method the route does not have, a middleware's refusal, a 500 page, the
"back soon" page of a database outage) is turned into the same shape by `JsonErrorsMiddleware`;
a body refused for its size (413) before Django reads it is answered as JSON by
docuchat/lib/body_limit.py. See docs/api.md.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse

from docuchat.lib.middleware import DualMiddleware

log = logging.getLogger(__name__)

PREFIX = "/api/"
# The code and message for an error response that did not come from the API's own handlers.
BY_STATUS = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthorized", "Send a valid API key: 'Authorization: Bearer dck_...'."),
    403: ("forbidden", "This API key may not do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request is too large."),
    429: ("rate_limited", "Too many requests. Wait a minute, then try again."),
    500: ("server_error", "Something went wrong on our side. Try again."),
    503: ("unavailable", "DocuChat is temporarily unavailable. Try again in a moment."),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, **extra: object) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


def by_status(status: int) -> JsonResponse:
    code, message = BY_STATUS.get(
        status, ("client_error" if status < 500 else "server_error", "Request failed.")
    )
    return error_response(status, code, message)


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class JsonErrorsMiddleware(DualMiddleware):
    """Outermost for /api/: an error response that is not JSON becomes {code, message}."""

    prefix = PREFIX

    def replacement(self, status: int) -> JsonResponse:
        return by_status(status)

    def call(self, request: HttpRequest) -> HttpResponse:
        return self.checked(request, self.get_response(request))

    async def acall(self, request: HttpRequest) -> HttpResponse:
        return self.checked(request, await self.get_response(request))

    def checked(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not request.path.startswith(self.prefix) or response.status_code < 400 or is_json(response):
            return response
        replaced = self.replacement(response.status_code)
        for header in ("Retry-After", "Allow", "Access-Control-Allow-Origin", "Vary"):
            if header in response:
                replaced[header] = response[header]
        return replaced
