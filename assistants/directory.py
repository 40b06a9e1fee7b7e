"""This app's side of chat's assistant directory (chat/directory.py): chat asks, we answer."""

import uuid

from assistants.models import Assistant
from chat import directory
from chat.callers import AssistantConfig
from tenants.models import Tenant


def _config(assistant: Assistant | None) -> AssistantConfig | None:
    return assistant.config() if assistant is not None else None


class Assistants:
    def default(self, tenant: Tenant) -> AssistantConfig:
        found = Assistant.objects.filter(tenant=tenant, is_default=True).first()
        return found.config() if found is not None else directory.BuiltIn().default(tenant)

    def by_id(self, tenant: Tenant, pk: int | None) -> AssistantConfig | None:
        if pk is None:
            return None
        return _config(Assistant.objects.filter(tenant=tenant, pk=pk).first())

    def by_public_id(self, tenant: Tenant, public_id: str) -> AssistantConfig | None:
        try:
            key = uuid.UUID(str(public_id))
        except ValueError:
            return None
        return _config(Assistant.objects.filter(tenant=tenant, public_id=key).first())

    def listed(self, tenant: Tenant) -> list[AssistantConfig]:
        listed = Assistant.objects.filter(tenant=tenant).prefetch_related("instruction_blocks", "documents")
        return [a.config() for a in listed]


def register() -> None:
    directory.register(Assistants())
