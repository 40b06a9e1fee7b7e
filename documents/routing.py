from django.urls import URLPattern, path

from documents.consumers import DocumentsConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/t/<slug:tenant_slug>/documents/", DocumentsConsumer.as_asgi()),
]
