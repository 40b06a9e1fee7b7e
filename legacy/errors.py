"""Every error under /v1/ is JSON, as the original backend's were: {"code", "message", "detail"}.

The v1 API's own handlers (legacy/api.py) answer so; this turns what else answers a /v1/ request
with an error (a method the route does not have, a middleware's refusal, the outage page) into the
same shape, with the REST API's middleware.
"""

import json

from django.http import JsonResponse

from api.errors import JsonErrorsMiddleware, by_status


class V1JsonErrorsMiddleware(JsonErrorsMiddleware):
    prefix = "/v1/"

    def replacement(self, status: int) -> JsonResponse:
        response = by_status(status)
        body = json.loads(response.content)
        return JsonResponse({**body, "detail": body["message"]}, status=status)
