from django.urls import path

from widget.consumers import WidgetConsumer

websocket_urlpatterns = [
    path("ws/widget/<uuid:assistant_id>/", WidgetConsumer.as_asgi()),
]
