"""WebSocket URL routes. Each app adds its consumers here."""

from django.urls import URLPattern

from documents.routing import websocket_urlpatterns as document_routes

websocket_urlpatterns: list[URLPattern] = [*document_routes]
