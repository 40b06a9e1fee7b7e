"""The API's one access path: everything a key reads or changes, scoped to the key's workspace.

One helper per object type, as tenants/access.py is for the pages. Anything outside the key's
workspace (or, for a key limited to one assistant, outside that assistant) is 404, exactly as
something that does not exist.
"""

import uuid

from django.db.models import QuerySet

from api.errors import ApiError
from api.models import ApiKey
from assistants.models import Assistant
from chat.models import ChatSession
from documents.models import Document
from usage.models import UsageRecord


def parse_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No such {what} in this workspace.")


def documents(key: ApiKey) -> QuerySet[Document]:
    """The workspace's documents; for a key limited to an assistant, that assistant's."""
    found = Document.objects.filter(tenant_id=key.tenant_id).order_by("-created", "-id")
    if key.assistant_id is not None:
        assistant = Assistant.objects.filter(pk=key.assistant_id).first()
        if assistant is not None and not assistant.all_documents:
            found = found.filter(pk__in=assistant.documents.values("pk"))
    return found


def get_document(key: ApiKey, public_id: object) -> Document:
    document = documents(key).filter(public_id=parse_id(public_id)).first() if parse_id(public_id) else None
    if document is None:
        raise not_found("document")
    return document


def conversations(key: ApiKey) -> QuerySet[ChatSession]:
    """The key's own conversations (the same as its chat caller may continue)."""
    return ChatSession.objects.filter(tenant_id=key.tenant_id, api_key=key)


def get_conversation(key: ApiKey, public_id: object) -> ChatSession:
    found = parse_id(public_id)
    session = conversations(key).filter(public_id=found).first() if found else None
    if session is None:
        raise not_found("conversation")
    return session


def assistants(key: ApiKey) -> QuerySet[Assistant]:
    found = Assistant.objects.filter(tenant_id=key.tenant_id)
    return found.filter(pk=key.assistant_id) if key.assistant_id is not None else found


def get_assistant(key: ApiKey, public_id: object) -> Assistant:
    found = parse_id(public_id)
    assistant = assistants(key).filter(public_id=found).first() if found else None
    if assistant is None:
        raise not_found("assistant")
    return assistant


def usage_records(key: ApiKey) -> QuerySet[UsageRecord]:
    return UsageRecord.objects.filter(tenant_id=key.tenant_id)
