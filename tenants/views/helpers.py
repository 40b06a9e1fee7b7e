"""Small helpers shared by the tenant views."""

from django.http import HttpRequest


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request for a part of the page (a boosted navigation wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted
