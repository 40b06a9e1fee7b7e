"""WebSocket URL routes. Each app adds its consumers here."""

from django.urls import URLPattern

from chat.routing import websocket_urlpatterns as chat_routes
from documents.routing import websocket_urlpatterns as document_routes
from widget.routing import websocket_urlpatterns as widget_routes

websocket_urlpatterns: list[URLPattern] = [*chat_routes, *document_routes, *widget_routes]
