"""The v1 API's addresses: /v1/... (django-ninja), its Swagger docs at /docs as the original
backend had them, and a JSON 404 for any other /v1/ address."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET
from ninja.openapi.views import openapi_view

from docuchat.lib.body_limit import allows_body, upload_limit
from legacy.api import api, error

# Not `app_name`: include() would take a module-level app_name as this module's namespace.
v1_urls = api.urls
for pattern in v1_urls[0]:
    if isinstance(pattern, URLPattern) and str(pattern.pattern) == "files":
        allows_body(upload_limit)(pattern.callback)  # a PDF: MAX_UPLOAD_REQUEST_MB, as the upload page


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    return openapi_view(request, api=api)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"name": api.title, "docs": "/docs", "openapi": reverse("v1:openapi-json")})


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return error(request, 404, "not_found", "No such address in the v1 API. See /docs.")


urlpatterns = [
    path("v1/", index, name="v1-index"),  # before ninja's own root, which only raises 404
    path("v1/", v1_urls),
    path("v1/<path:rest>", not_found, name="v1-not-found"),
    path("docs", docs, name="v1-docs"),
]
