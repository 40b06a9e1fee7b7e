"""ASGI entry point: HTTP through Django (behind the per-route body limits, and with hop-free
middleware: docuchat/lib/middleware.py), WebSockets through Channels' routing. Served by uvicorn
(docuchat/serve.py)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from docuchat.lib.middleware import HopFreeASGIHandler  # noqa: E402  (needs Django set up first)
from docuchat.middleware import HOP_FREE  # noqa: E402

# Django's handler, with the middleware in forms that cost a request no thread hop where they can.
django_asgi_app = HopFreeASGIHandler(HOP_FREE)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from docuchat.lib.body_limit import BodyLimit  # noqa: E402
from docuchat.routing import websocket_urlpatterns  # noqa: E402
from legacy.routing import WithV1Chat  # noqa: E402


def warm_up() -> None:
    """Load, before the first request, what the first questions would otherwise load on the event
    loop, stalling every socket of a burst on a fresh process (py-spy): the openai package (about
    2 s of imports), the tokenizer's tables, every app's URLs and views (the first `{% url %}` in a
    chat fragment imported them), the template engine and the chat's and documents' templates;
    and what the first model calls load lazily: an HTTP transport (httpcore2, by the embedder's
    client) and anyio's asyncio backend (about 6% of a fresh process's first burst, py-spy)."""
    import anyio._backends._asyncio  # noqa: F401
    import openai
    from django.template.loader import get_template
    from django.urls import reverse

    from docuchat.lib.tokens import encoding

    encoding()
    openai.OpenAI(api_key="warm-up").close()  # builds (and so imports) its HTTP transport
    reverse(
        "chat:session",
        kwargs={"tenant_slug": "warm-up", "session_id": "00000000-0000-0000-0000-000000000000"},
    )
    for name in ("chat/index.html", "documents/list.html"):
        get_template(name)


warm_up()

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app),
        # /ws/chat (the v1 API) authenticates with a token, not a cookie: legacy/routing.py.
        "websocket": WithV1Chat(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
