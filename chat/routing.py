from django.urls import path

from chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/t/<slug:tenant_slug>/chat/", ChatConsumer.as_asgi()),
]
