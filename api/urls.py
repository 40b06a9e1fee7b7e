"""/api/v1/: the REST API's routes (django-ninja) and the API keys page's."""

from django.urls import URLPattern, URLResolver, path

from api import views
from api.api import api
from docuchat.lib.body_limit import allows_body, upload_limit


def _with_upload_limit(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """POST /api/v1/documents accepts a PDF as large as the Documents page does."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and str(pattern.pattern) == "documents":
            allows_body(upload_limit)(pattern.callback)
    return patterns


api_patterns, app_name, namespace = api.urls
urlpatterns = [path("api/v1/", (_with_upload_limit(list(api_patterns)), app_name, namespace))]

keys_patterns = [
    path("", views.index, name="keys"),
    path("<uuid:public_id>/rotate/", views.rotate, name="rotate"),
    path("<uuid:public_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:public_id>/limits/", views.limits, name="limits"),
]
