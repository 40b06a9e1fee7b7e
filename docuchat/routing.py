"""WebSocket URL routes. Each app adds its consumers here.

The last route takes every other path and refuses it (404 at the handshake): Channels' URLRouter
raises ValueError for a path no route matches, which the server logged as an exception and
answered 500 (for /ws/nothing/, or /ws/t/%00/chat/, whose NUL no slug matches)."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import URLPattern, re_path

from chat.routing import websocket_urlpatterns as chat_routes
from documents.routing import websocket_urlpatterns as document_routes
from widget.routing import websocket_urlpatterns as widget_routes


class NoSuchSocket(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.close()  # before accept(): the handshake is refused with 403


websocket_urlpatterns: list[URLPattern] = [
    *chat_routes,
    *document_routes,
    *widget_routes,
    re_path(r"", NoSuchSocket.as_asgi()),
]
