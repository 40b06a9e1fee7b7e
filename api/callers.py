"""The API-key caller: a turn asked through the REST API or the OpenAI-compatible endpoint.

It carries the key's workspace, its assistant (if it is limited to one), its rate limit and its
monthly budget, and meters the usage to the key. See docs/turns.md.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from api import keys
from api.models import ApiKey, Scope
from chat.callers import AssistantConfig, Caller, Code, Refused, allowed_by_rate_limit
from chat.directory import directory
from chat.models import ChatSession
from usage.quotas import Budget


class ApiKeyCaller(Caller):
    kind = "api_key"

    def __init__(self, key: ApiKey) -> None:
        self.key, self.key_id, self.tenant = key, key.pk, key.tenant
        self.secret = ""  # see from_secret
        self.refusal = ""  # why still_allowed refused: "invalid_key" or "missing_scope"

    @classmethod
    def from_secret(cls, secret: str) -> "ApiKeyCaller":
        """A caller whose key is looked up from its secret by the turn itself (in still_allowed)."""
        caller = cls.__new__(cls)
        caller.key, caller.key_id, caller.tenant = None, None, None  # type: ignore[assignment]
        caller.secret, caller.refusal = secret, ""
        return caller

    def still_allowed(self) -> None:
        if self.secret:  # its use is noted when the answer is saved (answered)
            key = keys.authenticate(self.secret, note_use=False)
        else:
            key = keys.still_usable(self.key_id)
        if key is None:
            self.refusal = "invalid_key"
            raise Refused("This API key is not valid: it is wrong, revoked or expired.", Code.FORBIDDEN)
        if not key.has_scope(Scope.CHAT):
            self.refusal = "missing_scope"
            raise Refused("This API key lacks the 'chat' scope.", Code.FORBIDDEN)
        self.key, self.key_id, self.tenant = key, key.pk, key.tenant

    def assistant_for(self, session: ChatSession | None, requested: str) -> AssistantConfig:
        found = self._assistant(session, requested)
        if found is None or (self.key.assistant_id and found.id != self.key.assistant_id):
            raise Refused("No such assistant for this API key.", Code.NOT_FOUND)
        return found

    def _assistant(self, session: ChatSession | None, requested: str) -> AssistantConfig | None:
        if session is not None:
            return directory().by_id(self.tenant, session.assistant_id) or directory().default(self.tenant)
        if requested:
            return directory().by_public_id(self.tenant, requested)
        if self.key.assistant_id:
            return directory().by_id(self.tenant, self.key.assistant_id)
        return directory().default(self.tenant)

    def sessions(self) -> QuerySet[ChatSession]:
        return ChatSession.objects.filter(tenant=self.tenant, api_key_id=self.key_id)

    def new_session(self, **fields: Any) -> ChatSession:
        return ChatSession(tenant=self.tenant, api_key_id=self.key_id, **fields)

    def check_rate(self, session: ChatSession | None) -> None:
        if not allowed_by_rate_limit(f"api-key-{self.key_id}", self.key.rate_per_minute):
            raise Refused(
                f"This API key has asked {self.key.rate_per_minute} questions in the last minute, "
                "the most allowed. Wait a minute, then ask again.",
                Code.RATE_LIMITED,
            )

    def budgets(self) -> Sequence[Budget]:
        return self.key.budgets()

    def metered_to(self) -> dict[str, Any]:
        return {"api_key_id": self.key_id}

    def answered(self) -> None:
        keys.note_used(self.key)  # after the answer: a write fewer before its first token (bench/api.py)
