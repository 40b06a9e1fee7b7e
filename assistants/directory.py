"""This app's side of chat's assistant directory (chat/directory.py): chat asks, we answer."""

import functools
import uuid
from typing import Any

from django.db import connection

from assistants.models import Assistant, InstructionBlock
from chat import directory
from chat.callers import AssistantConfig
from tenants.models import Tenant


@functools.cache
def _config_sql(condition: str) -> str:
    """One assistant of a tenant with its switched-on instruction blocks and its documents, in one
    query: every turn reads one, and the ORM's three queries (the row, the blocks, the documents)
    cost more Python to build than PostgreSQL took to answer them (py-spy, the 200-chat burst).
    The names come from the models, so the SQL follows their migrations."""
    quote = connection.ops.quote_name
    a = {f.name: quote(f.column) for f in Assistant._meta.concrete_fields}
    b = {f.name: quote(f.column) for f in InstructionBlock._meta.concrete_fields}
    through = Assistant.documents.through._meta
    owner = quote(through.get_field("assistant").column)
    document = quote(through.get_field("document").column)
    return (
        f"SELECT a.{a['id']}, a.{a['public_id']}, a.{a['name']}, a.{a['model']}, "  # noqa: S608 (names from the models)
        f"a.{a['all_documents']}, a.{a['not_covered']}, a.{a['contact_url']}, "
        f"ARRAY(SELECT b.{b['text']} FROM {quote(InstructionBlock._meta.db_table)} b "
        f"WHERE b.{b['assistant']} = a.{a['id']} AND b.{b['enabled']} "
        f"ORDER BY b.{b['position']}, b.{b['id']}), "
        f"ARRAY(SELECT d.{document} FROM {quote(through.db_table)} d WHERE d.{owner} = a.{a['id']}) "
        f"FROM {quote(Assistant._meta.db_table)} a "
        f"WHERE a.{a['tenant']} = %s AND a.{a[condition]} = %s LIMIT 1"
    )


def _config(tenant: Tenant, condition: str, value: Any) -> AssistantConfig | None:
    """The tenant's assistant whose column `condition` ("id", "public_id" or "is_default") equals
    `value`, as Assistant.config() gives it."""
    with connection.cursor() as cursor:
        cursor.execute(_config_sql(condition), [tenant.pk, value])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, public_id, name, model, all_documents, not_covered, contact_url, blocks, documents = row
    return AssistantConfig(
        id=pk,
        public_id=str(public_id),
        name=name,
        instructions=Assistant.joined_instructions(blocks),
        model=model,
        documents=None if all_documents else frozenset(documents),
        not_covered=not_covered,
        contact_url=contact_url,
    )


class Assistants:
    def default(self, tenant: Tenant) -> AssistantConfig:
        found = _config(tenant, "is_default", True)
        return found if found is not None else directory.BuiltIn().default(tenant)

    def by_id(self, tenant: Tenant, pk: int | None) -> AssistantConfig | None:
        if pk is None:
            return None
        return _config(tenant, "id", pk)

    def by_public_id(self, tenant: Tenant, public_id: str) -> AssistantConfig | None:
        try:
            key = uuid.UUID(str(public_id))
        except ValueError:
            return None
        return _config(tenant, "public_id", key)

    def listed(self, tenant: Tenant) -> list[AssistantConfig]:
        listed = Assistant.objects.filter(tenant=tenant).prefetch_related("instruction_blocks", "documents")
        return [a.config() for a in listed]


def register() -> None:
    directory.register(Assistants())
