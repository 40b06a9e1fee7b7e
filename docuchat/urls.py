from django.contrib import admin
from django.urls import include, path

from docuchat.views import favicon

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("accounts.urls")),
    path("", include("legacy.urls")),  # the DocuChat v1 API: /v1/..., /docs
    path("t/<slug:tenant_slug>/documents/", include("documents.urls")),
    path("t/<slug:tenant_slug>/chat/", include("chat.urls")),
    path("t/<slug:tenant_slug>/usage/", include("usage.urls")),
    path("", include("tenants.urls")),
]

handler500 = "docuchat.outage.server_error"  # 503 "back soon" when the database is unreachable
