"""ASGI entry point: HTTP through Django, WebSockets through Channels' routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from docuchat.lib.asgi_body import JoinBodyMessages, stop_twisted_parsing_forms  # noqa: E402
from docuchat.routing import websocket_urlpatterns  # noqa: E402

stop_twisted_parsing_forms()  # daphne's Twisted would parse (in memory) every upload Django parses

application = ProtocolTypeRouter(
    {
        # Large uploads: Django gets the body in 1 MiB pieces, not daphne's 8 KiB ones.
        "http": JoinBodyMessages(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
