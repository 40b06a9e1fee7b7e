"""The one tenant-scoped access path: one helper per object type.

Views never call `Model.objects.get` on tenant data themselves. Each helper takes
the request (whose tenant the middleware resolved) and an opaque id, and raises
404 for anything outside that tenant, exactly as for something that does not exist.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    from django.db.models import QuerySet

    from assistants.models import Assistant, InstructionBlock
    from chat.models import ChatSession, Message, SavedAnswer
    from documents.models import Document
    from tenants.http import TenantRequest
    from tenants.models import Invitation, Membership
    from usage.models import UsageRecord


def usage_records(request: "TenantRequest") -> "QuerySet[UsageRecord]":
    """This tenant's usage records: all of them for owners and admins, a member's own otherwise."""
    from tenants.permissions import can_view_usage
    from usage.models import UsageRecord

    records = UsageRecord.objects.filter(tenant=request.tenant)
    if not can_view_usage(request.membership):  # everyone's usage, or only their own
        records = records.filter(user=request.user)
    return records


def get_membership(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Membership":
    """A membership of the request's tenant; with write=True, 403 unless the user may manage it.

    The team services re-check the rights under lock; this is the early, cheap refusal.
    """
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from tenants.models import Membership
    from tenants.permissions import can_manage_members

    qs = Membership.objects.select_related("user", "tenant").filter(tenant=request.tenant)
    membership = get_object_or_404(qs, public_id=public_id)
    mine = membership.pk == request.membership.pk
    if write and not mine and not can_manage_members(request.membership, membership):
        raise PermissionDenied("Your role cannot change this person's membership.")
    return membership


def get_invitation(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Invitation":
    """An invitation of the request's tenant; with write=True, 403 unless the user may manage it."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from tenants.models import Invitation
    from tenants.permissions import can_invite

    qs = Invitation.objects.select_related("tenant", "invited_by").filter(tenant=request.tenant)
    invitation = get_object_or_404(qs, public_id=public_id)
    if write and not can_invite(request.membership, invitation.role):
        raise PermissionDenied("Your role cannot manage this invitation.")
    return invitation


def documents(request: "TenantRequest") -> "QuerySet[Document]":
    """This tenant's documents, newest first (every member sees every document of the workspace)."""
    from documents.models import Document

    return Document.objects.filter(tenant=request.tenant).select_related("tenant").order_by("-created")


def can_write_document(request: "TenantRequest", document: "Document") -> bool:
    """Its uploader and the workspace's owners and admins may delete or re-index a document."""
    from tenants.permissions import can_manage_documents

    return can_manage_documents(request.membership) or document.uploaded_by_id == request.user.pk


def get_document(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Document":
    """A document of the request's tenant by its public id, or 404; with write=True, 403 unless
    the user may change it (see can_write_document)."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    document = get_object_or_404(documents(request).select_related("uploaded_by"), public_id=public_id)
    if write and not can_write_document(request, document):
        raise PermissionDenied("Only its uploader or a workspace admin can change this document.")
    return document


def get_chat_session(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "ChatSession":
    """One of the user's own chat sessions in the request's tenant, or 404.

    Sessions are private to the person who started them (even admins cannot read others'), so
    `write` needs no further check.
    """
    from django.shortcuts import get_object_or_404

    from chat.models import ChatSession

    return get_object_or_404(ChatSession.objects.owned_by(request.tenant, request.user), public_id=public_id)


def get_chat_message(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Message":
    """A message of one of the user's own chat sessions in the request's tenant, or 404."""
    from django.shortcuts import get_object_or_404

    from chat.models import Message

    messages = Message.objects.select_related("session").filter(
        session__tenant=request.tenant, session__user=request.user
    )
    return get_object_or_404(messages, public_id=public_id)


def assistants(request: "TenantRequest") -> "QuerySet[Assistant]":
    """This tenant's assistants, the default first (members use them in the chat; managers edit them)."""
    from assistants.models import Assistant

    return Assistant.objects.filter(tenant=request.tenant)


def get_assistant(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "Assistant":
    """An assistant of the request's tenant, or 404; with write=True, 403 unless the user may manage
    assistants (owners and admins)."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from tenants.permissions import MANAGERS_ONLY, can_manage_assistants

    if write and not can_manage_assistants(request.membership):
        raise PermissionDenied(MANAGERS_ONLY)
    return get_object_or_404(assistants(request), public_id=public_id)


def conversations(request: "TenantRequest") -> "QuerySet[ChatSession]":
    """The Conversations page's list: for owners and admins, the conversations no member had (the
    website widget's, an API key's); for a member, their own staff chats (as the chat page)."""
    from chat.models import ChatSession
    from tenants.permissions import can_view_conversations

    if can_view_conversations(request.membership):
        return ChatSession.objects.filter(tenant=request.tenant, user__isnull=True)
    return ChatSession.objects.owned_by(request.tenant, request.user)


def get_conversation(request: "TenantRequest", public_id: "UUID") -> "ChatSession":
    """A conversation of the inbox (not a member's: those stay private), for owners and admins; 404
    for anything outside the tenant, 403 for a member."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from chat.models import ChatSession
    from tenants.permissions import MANAGERS_ONLY, can_view_conversations

    if not can_view_conversations(request.membership):
        raise PermissionDenied(MANAGERS_ONLY)
    inbox = ChatSession.objects.filter(tenant=request.tenant, user__isnull=True).select_related("assistant")
    return get_object_or_404(inbox, public_id=public_id)


def get_savable_answer(request: "TenantRequest", public_id: "UUID") -> "Message":
    """An answer the user may save: one in their own chats, or (owners and admins) one in the inbox."""
    from django.db.models import Q
    from django.shortcuts import get_object_or_404

    from chat.models import Message
    from tenants.permissions import can_view_conversations

    visible = Q(session__user=request.user)
    if can_view_conversations(request.membership):
        visible |= Q(session__user__isnull=True)
    answers = Message.objects.select_related("session").filter(
        visible, session__tenant=request.tenant, role=Message.Role.ASSISTANT
    )
    return get_object_or_404(answers, public_id=public_id)


def saved_answers(request: "TenantRequest") -> "QuerySet[SavedAnswer]":
    """The workspace's Saved list: every member sees (and may delete) all of it."""
    from chat.models import SavedAnswer

    return SavedAnswer.objects.filter(tenant=request.tenant).select_related("saved_by")


def get_saved_answer(request: "TenantRequest", public_id: "UUID", *, write: bool = False) -> "SavedAnswer":
    """A saved answer of the request's tenant, or 404 (any member may delete one)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(saved_answers(request), public_id=public_id)


def get_instruction_block(request: "TenantRequest", public_id: "UUID") -> "InstructionBlock":
    """An instruction block of one of the tenant's assistants, for owners and admins; else 403/404."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from assistants.models import InstructionBlock
    from tenants.permissions import MANAGERS_ONLY, can_manage_assistants

    if not can_manage_assistants(request.membership):
        raise PermissionDenied(MANAGERS_ONLY)
    blocks = InstructionBlock.objects.select_related("assistant__tenant")
    return get_object_or_404(blocks, assistant__tenant=request.tenant, public_id=public_id)
