"""Callers: who asks a turn. The turn pipeline (chat/turns.py) asks its caller, never its door.

A caller carries the tenant and says, from the database and at the start of every turn, whether
it may still ask (`still_allowed`); which assistant answers and from which documents
(`assistant_for`); which conversations it may continue (`sessions`) and how a new one is owned
(`new_session`); its rate limits (`check_rate`); the budgets that apply (`budget_user`,
`budgets`); and whom the usage is metered to (`metered_to`). See docs/turns.md.

- MemberCaller (here): a signed-in member of the workspace, on the staff chat page.
- VisitorCaller (widget/callers.py): an anonymous visitor of an assistant's website widget.
- An API key's caller (api/) follows the same interface.
"""

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from chat.models import ChatSession
from tenants.middleware import current_membership
from tenants.models import Membership, Tenant
from usage.quotas import Budget


class Code(StrEnum):
    """Why a turn was refused or failed; a door maps it to its protocol (HTTP status, close code)."""

    INVALID = "invalid"  # the request itself is unusable (400)
    FORBIDDEN = "forbidden"  # the caller's access is gone (403; a socket closes)
    NOT_FOUND = "not_found"  # the conversation or assistant is not the caller's (404)
    RATE_LIMITED = "rate_limited"  # over a message limit (429)
    BUDGET = "budget"  # over a token or cost budget (429)
    UNAVAILABLE = "unavailable"  # the database (or another part) is not answering (503)
    MODEL = "model"  # the model or the embedding service failed (502); the answer is saved as failed
    ERROR = "error"  # anything else, logged (500)


class Refused(Exception):
    """The message is not accepted; str() says why, in words for the person asking.

    Nothing was saved and nothing was sent to a model.
    """

    def __init__(self, message: str, code: Code = Code.INVALID) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AssistantConfig:
    """What a turn needs of the assistant that answers it (assistants.models.Assistant.config())."""

    id: int | None  # None: no assistant row (the built-in default)
    public_id: str = ""
    name: str = "Assistant"
    instructions: str = ""  # its switched-on instruction blocks, in order
    model: str = ""  # one of ALLOWED_MODELS; "" means OPENAI_MODEL
    documents: frozenset[int] | None = None  # the document ids it answers from; None: all of them
    not_covered: str = ""  # said when the documents do not cover a question ("": the default text)
    contact_url: str = ""  # offered with `not_covered`


BUILT_IN = AssistantConfig(id=None)


class Caller(ABC):
    """Who asks. Subclasses set `kind` and `tenant`; every method runs in a database thread."""

    kind: ClassVar[str]
    tenant: Tenant

    @abstractmethod
    def still_allowed(self) -> None:
        """Raise Refused(code=FORBIDDEN) unless the caller may still ask, asked of the database.

        Called at the start of every turn, so that removing access anywhere (admin, team pages,
        deactivation, logout, an assistant switched off) stops the very next message.
        """

    @abstractmethod
    def assistant_for(self, session: ChatSession | None, requested: str) -> AssistantConfig:
        """The assistant that answers: the session's, else the one `requested` (a public id, "" for
        the caller's default). Raise Refused(code=NOT_FOUND) for one the caller may not use."""

    @abstractmethod
    def sessions(self) -> QuerySet[ChatSession]:
        """The conversations this caller may continue: its own, in its tenant, and nobody else's."""

    @abstractmethod
    def new_session(self, **fields: Any) -> ChatSession:
        """An unsaved ChatSession owned by this caller, with `fields` (title, model, assistant_id)."""

    def check_rate(self, session: ChatSession | None) -> None:
        """Count this message against the caller's limits; raise Refused(code=RATE_LIMITED) when over."""
        return None

    def budget_user(self) -> Any:
        """The person whose daily budget per member applies (None: no person)."""
        return None

    def budgets(self) -> Sequence[Budget]:
        """Budgets of the caller's own, inside the workspace's monthly budget (which always applies)."""
        return ()

    @abstractmethod
    def metered_to(self) -> dict[str, Any]:
        """The UsageRecord fields that say whom this turn's usage is metered to: {"user": ...},
        {"assistant_id": ...}, or an API key's."""

    def answered(self) -> None:
        """The answer is being saved (in its transaction): bookkeeping kept off the first token."""
        return None


def allowed_by_rate_limit(key: str, limit: int) -> bool:
    """`limit` messages per clock minute for `key`, counted in the shared cache."""
    minute_key = f"chat-rate:{key}:{int(time.time() // 60)}"
    try:
        count = cache.incr(minute_key)
    except ValueError:  # the minute's first message (or two arriving together: add() decides)
        count = 1 if cache.add(minute_key, 1, timeout=120) else cache.incr(minute_key)
    return count <= limit


class MemberCaller(Caller):
    """A member on the staff chat page: signed in with a browser session (`session_key`)."""

    kind = "member"

    def __init__(self, membership: Membership, session_key: str | None) -> None:
        self.membership = membership
        self.tenant = membership.tenant
        self.user_id = membership.user_id
        self.session_key = session_key

    @property
    def user(self) -> Any:
        return self.membership.user  # loaded fresh by still_allowed()

    def still_allowed(self) -> None:
        fresh = current_membership(self.tenant.pk, self.user_id, self.session_key)
        if fresh is None:
            raise Refused("You no longer have access to this workspace.", Code.FORBIDDEN)
        self.membership, self.tenant = fresh, fresh.tenant

    def assistant_for(self, session: ChatSession | None, requested: str) -> AssistantConfig:
        from chat.directory import directory

        if session is not None:
            return directory().by_id(self.tenant, session.assistant_id) or directory().default(self.tenant)
        if not requested:
            return directory().default(self.tenant)
        found = directory().by_public_id(self.tenant, requested)
        if found is None:
            raise Refused("That assistant no longer exists. Choose another.", Code.NOT_FOUND)
        return found

    def sessions(self) -> QuerySet[ChatSession]:
        return ChatSession.objects.owned_by(self.tenant, self.user)

    def new_session(self, **fields: Any) -> ChatSession:
        return ChatSession(tenant=self.tenant, user=self.user, **fields)

    def check_rate(self, session: ChatSession | None) -> None:
        if not allowed_by_rate_limit(f"user-{self.user_id}", settings.RATE_LIMIT_PER_MINUTE):
            raise Refused(
                f"You have sent {settings.RATE_LIMIT_PER_MINUTE} messages in the last minute, the most "
                "allowed. Wait a minute, then send it again.",
                Code.RATE_LIMITED,
            )

    def budget_user(self) -> Any:
        return self.user

    def metered_to(self) -> dict[str, Any]:
        return {"user": self.user}
