"""The website visitor as a caller of the one turn pipeline (chat/turns.py, docs/turns.md).

A VisitorCaller carries the assistant's workspace, the assistant (and so its documents), the
visitor's conversations, the limits a website needs (per visitor per day, per conversation, per
IP address per minute), the assistant's own monthly budget (inside the workspace's), and meters
usage to the assistant. It asks the database at the start of every turn whether the widget is
still switched on and still embeddable by the site it is on: switching it off, or removing the
site from the allowed origins, stops the very next message.
"""

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_ratelimit.core import is_ratelimited

from assistants.models import Assistant
from chat.callers import AssistantConfig, Caller, Code, Refused
from chat.models import ChatSession, Message
from usage.models import Meter
from usage.quotas import Budget
from widget import embedding
from widget.models import Visitor

SWITCHED_OFF = "This chat is not available right now."


def day_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


class VisitorCaller(Caller):
    """An anonymous visitor of `assistant`'s widget, embedded on `origin`, from address `ip`."""

    kind = "visitor"

    def __init__(self, visitor: Visitor, assistant: Assistant, origin: str, ip: str) -> None:
        self.visitor, self.assistant, self.origin, self.ip = visitor, assistant, origin, ip
        self.tenant = assistant.tenant

    def still_allowed(self) -> None:
        fresh = embedding.live_assistant(self.assistant.public_id, self.origin)
        if fresh is None or not Visitor.objects.filter(pk=self.visitor.pk, assistant=fresh).exists():
            raise Refused(SWITCHED_OFF, Code.FORBIDDEN)
        self.assistant, self.tenant = fresh, fresh.tenant

    def assistant_for(self, session: ChatSession | None, requested: str) -> AssistantConfig:
        if requested and requested != str(self.assistant.public_id):
            raise Refused("No such assistant.", Code.NOT_FOUND)
        return self.assistant.config()

    def sessions(self) -> QuerySet[ChatSession]:
        return ChatSession.objects.filter(
            tenant=self.tenant, assistant_id=self.assistant.pk, visitor_id=self.visitor.pk
        )

    def new_session(self, **fields: Any) -> ChatSession:
        fields["assistant_id"] = self.assistant.pk
        return ChatSession(tenant=self.tenant, visitor_id=self.visitor.pk, **fields)

    def check_rate(self, session: ChatSession | None) -> None:
        """The conversation's, the visitor's day's, then the address's minute's allowance."""
        assistant = self.assistant
        asked = Message.objects.filter(role=Message.Role.USER)
        if session is not None and asked.filter(session=session).count() >= assistant.conversation_messages:
            raise Refused(
                f"This conversation has reached its limit of {assistant.conversation_messages} questions. "
                "Start a new conversation to ask more.",
                Code.RATE_LIMITED,
            )
        today = asked.filter(session__visitor_id=self.visitor.pk, created__gte=day_start()).count()
        if today >= assistant.visitor_daily_messages:
            raise Refused(
                f"You have asked {assistant.visitor_daily_messages} questions today, the most allowed here. "
                "Come back tomorrow.",
                Code.RATE_LIMITED,
            )
        if self.ip_limited(assistant.ip_minute_messages):
            raise Refused(
                "Too many questions from your network in the last minute. Wait a minute, then ask again.",
                Code.RATE_LIMITED,
            )

    def ip_limited(self, per_minute: int) -> bool:
        """django-ratelimit, in the shared cache: this assistant's messages from this address."""
        return is_ratelimited(
            None, group=f"widget-ip-{self.assistant.pk}", key=lambda group, request: self.ip,
            rate=f"{per_minute}/m", increment=True,
        )  # fmt: skip

    def budgets(self) -> Sequence[Budget]:
        budget = Budget(
            Meter.Scope.ASSISTANT_MONTH,
            self.assistant.pk,
            self.assistant.monthly_tokens,
            self.assistant.monthly_cost,
            name="assistant's monthly budget",
        )
        return [budget] if budget.is_limited else []

    def metered_to(self) -> dict[str, Any]:
        return {"assistant_id": self.assistant.pk}
