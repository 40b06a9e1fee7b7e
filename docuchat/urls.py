from django.contrib import admin
from django.urls import include, path

from api.urls import keys_patterns
from api.urls import urlpatterns as api_urlpatterns
from docuchat.views import favicon

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("accounts.urls")),
    path("", include("legacy.urls")),  # the DocuChat v1 API: /v1/..., /docs
    path("t/<slug:tenant_slug>/documents/", include("documents.urls")),
    path("t/<slug:tenant_slug>/chat/", include("chat.urls")),
    path("t/<slug:tenant_slug>/usage/", include("usage.urls")),
    path("t/<slug:tenant_slug>/evaluation/", include("evaluation.urls")),
    path("t/<slug:tenant_slug>/", include("assistants.urls")),
    path("", include("widget.urls")),
    path("t/<slug:tenant_slug>/api-keys/", include((keys_patterns, "apikeys"))),
    *api_urlpatterns,
    path("", include("tenants.urls")),
]

handler500 = "docuchat.outage.server_error"  # 503 "back soon" when the database is unreachable
