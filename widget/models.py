"""Website visitors: the anonymous people who ask an assistant through its widget.

A visitor is known only by a random token that the widget keeps in the host page's own storage
and sends with every message; the database keeps its SHA-256, never the token. A visitor belongs
to one assistant: the same person on two sites, or on two assistants, is two visitors.
"""

import hashlib
import secrets
import uuid

from django.db import models
from django.utils import timezone

from assistants.models import Assistant
from tenants.models import Tenant

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Visitor(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="visitors")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    origin = models.CharField(max_length=200)  # the site it was first seen on
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"visitor {str(self.public_id)[:8]}"

    @classmethod
    def issue(cls, assistant: Assistant, origin: str) -> tuple["Visitor", str]:
        """A new visitor and its token (given to the widget once, stored here only as a digest)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        visitor = cls.objects.create(
            tenant_id=assistant.tenant_id, assistant=assistant, token_hash=token_digest(token), origin=origin
        )
        return visitor, token

    @classmethod
    def find(cls, assistant: Assistant, token: str) -> "Visitor | None":
        """The assistant's visitor with this token (another assistant's token finds nothing)."""
        if not token or len(token) > 100:
            return None
        return cls.objects.filter(assistant=assistant, token_hash=token_digest(token)).first()
