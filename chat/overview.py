"""The Chat panel of the Overview page: your most recent conversations in this workspace."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.timesince import timesince

from chat.models import ChatSession
from tenants.http import TenantRequest

RECENT = 5


def panel(request: TenantRequest) -> dict[str, Any]:
    sessions = ChatSession.objects.owned_by(request.tenant, request.user).order_by("-updated", "-id")
    recent = list(sessions[:RECENT])
    now = timezone.now()
    for chat in recent:
        fresh = now - chat.updated < timedelta(minutes=1)
        chat.when = "just now" if fresh else f"{timesince(chat.updated, now)} ago"  # type: ignore[attr-defined]
    return {"recent_chats": recent}
