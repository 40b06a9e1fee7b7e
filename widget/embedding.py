"""Allowed embeddings: which sites may show an assistant's widget, and the token that proves it.

1. The embed script opens the iframe at /widget/<assistant>/?origin=<the host page's origin>.
2. That page is served only when the origin is one of the assistant's allowed origins, with
   `Content-Security-Policy: frame-ancestors <that origin>`: a browser refuses to show it inside a
   page of any other site, whatever the page claims. (An empty list means the widget is off.)
3. The page carries an embed token: the assistant and the origin, signed with SECRET_KEY, valid
   for EMBED_TOKEN_SECONDS. The widget's socket refuses to open without a valid one, and every
   message is checked again, from the database, against the assistant's current origins and switch.
"""

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core import signing

from assistants.models import Assistant

EMBED_SALT = "widget.embed"
EMBED_TOKEN_SECONDS = 12 * 3600


def normalize_origin(value: str) -> str:
    """`https://Shop.Example:443/` -> `https://shop.example`; "" for anything that is not an origin."""
    value = (value or "").strip()
    if len(value) > 200:
        return ""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return ""
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port and port != default else "")


def allows(assistant: Assistant, origin: str) -> bool:
    """Switched on, and `origin` is one of its allowed origins (an empty list allows nobody)."""
    wanted = normalize_origin(origin)
    if not assistant.widget_enabled or not wanted:
        return False
    return wanted in {normalize_origin(o) for o in assistant.allowed_origins or [] if isinstance(o, str)}


def find_assistant(public_id: object) -> Assistant | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Assistant.objects.select_related("tenant").filter(public_id=key).first()


def live_assistant(public_id: object, origin: str) -> Assistant | None:
    """The assistant, fresh from the database, if its widget may run on `origin` now."""
    assistant = find_assistant(public_id)
    return assistant if assistant is not None and allows(assistant, origin) else None


@dataclass(frozen=True)
class Embed:
    assistant: str  # public id
    origin: str


def embed_token(assistant: Assistant, origin: str) -> str:
    return signing.dumps({"a": str(assistant.public_id), "o": normalize_origin(origin)}, salt=EMBED_SALT)


def read_embed_token(token: str) -> Embed | None:
    """What a valid, unexpired token says; None for any other string."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=EMBED_SALT, max_age=EMBED_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), str) or not isinstance(data.get("o"), str):
        return None
    return Embed(data["a"], data["o"])
