"""The assistants of a workspace, as chat sees them, without importing the app that owns them.

Assistants live in the `assistants` app, which depends on chat (apps depend inward), so chat never
imports it. That app registers its directory here when Django starts (assistants/apps.py). With
no directory registered, every workspace has one built-in assistant with no instructions.
"""

from typing import Protocol

from chat.callers import BUILT_IN, AssistantConfig
from tenants.models import Tenant


class Directory(Protocol):
    def default(self, tenant: Tenant) -> AssistantConfig:
        """The workspace's default assistant."""
        ...

    def by_id(self, tenant: Tenant, pk: int | None) -> AssistantConfig | None:
        """The workspace's assistant with this primary key, or None (also for None)."""
        ...

    def by_public_id(self, tenant: Tenant, public_id: str) -> AssistantConfig | None:
        """The workspace's assistant with this public id, or None (also for a malformed id)."""
        ...

    def listed(self, tenant: Tenant) -> list[AssistantConfig]:
        """The workspace's assistants, default first, for a picker."""
        ...


class BuiltIn:
    def default(self, tenant: Tenant) -> AssistantConfig:
        return BUILT_IN

    def by_id(self, tenant: Tenant, pk: int | None) -> AssistantConfig | None:
        return None

    def by_public_id(self, tenant: Tenant, public_id: str) -> AssistantConfig | None:
        return None

    def listed(self, tenant: Tenant) -> list[AssistantConfig]:
        return [BUILT_IN]


_registered: Directory = BuiltIn()


def register(found: Directory) -> None:
    global _registered
    _registered = found


def directory() -> Directory:
    return _registered
