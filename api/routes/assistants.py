"""/api/v1/assistants: list, create, change and delete the workspace's assistants."""

import re
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Router, Status

from api import access
from api.auth import KeyAuth, key_of
from api.errors import ApiError
from api.models import ApiKey, Scope
from api.schemas import AssistantIn, AssistantOut, AssistantPatch, Error, SnippetOut
from assistants.models import Assistant, InstructionBlock, split_instructions
from documents.models import Document

router = Router(tags=["assistants"])
READ, WRITE = KeyAuth(Scope.CHAT, Scope.ASSISTANTS_WRITE), KeyAuth(Scope.ASSISTANTS_WRITE)
ERRORS = {401: Error, 403: Error, 404: Error, 429: Error}
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def out(assistant: Assistant) -> AssistantOut:
    return AssistantOut(
        id=str(assistant.public_id), name=assistant.name, description=assistant.description,
        default=assistant.is_default, model=assistant.model, instructions=assistant.instructions_text(),
        all_documents=assistant.all_documents,
        documents=[str(d.public_id) for d in assistant.documents.all()],
        widget_enabled=assistant.widget_enabled, allowed_origins=list(assistant.allowed_origins),
        created=assistant.created,
    )  # fmt: skip


@router.get("", auth=READ, response={200: list[AssistantOut], **ERRORS}, summary="List assistants")
def list_assistants(request: HttpRequest) -> list[AssistantOut]:
    found = access.assistants(key_of(request)).prefetch_related("instruction_blocks", "documents")
    return [out(a) for a in found]


@router.get("/{assistant_id}", auth=READ, response={200: AssistantOut, **ERRORS}, summary="Read an assistant")
def read_assistant(request: HttpRequest, assistant_id: str) -> AssistantOut:
    return out(access.get_assistant(key_of(request), assistant_id))


@router.post(
    "", auth=WRITE, response={201: AssistantOut, 400: Error, **ERRORS}, summary="Create an assistant"
)
def create_assistant(request: HttpRequest, body: AssistantIn) -> Status:
    key = key_of(request)
    if key.assistant_id is not None:
        raise ApiError(
            403, "limited_key", "This API key is limited to one assistant and cannot create others."
        )
    fields = _checked(key, body.model_dump())
    with transaction.atomic():
        assistant = Assistant.objects.create(tenant=key.tenant, **_plain(fields))
        _apply_related(assistant, fields)
    return Status(201, out(assistant))


@router.patch("/{assistant_id}", auth=WRITE, response={200: AssistantOut, 400: Error, **ERRORS},
              summary="Change an assistant")  # fmt: skip
def change_assistant(request: HttpRequest, assistant_id: str, body: AssistantPatch) -> AssistantOut:
    """Only the fields sent change. `documents` sets the list it answers from (and turns
    `all_documents` off); `all_documents: true` answers from every document again."""
    key = key_of(request)
    fields = _checked(key, body.model_dump(exclude_unset=True))
    with transaction.atomic():
        assistant = access.get_assistant(key, assistant_id)
        assistant = Assistant.objects.select_for_update().get(pk=assistant.pk)
        for name, value in _plain(fields).items():
            setattr(assistant, name, value)
        assistant.save()
        _apply_related(assistant, fields)
    return out(assistant)


@router.delete("/{assistant_id}", auth=WRITE, response={204: None, 409: Error, **ERRORS},
               summary="Delete an assistant")  # fmt: skip
def delete_assistant(request: HttpRequest, assistant_id: str) -> Status:
    assistant = access.get_assistant(key_of(request), assistant_id)
    if assistant.is_default:
        raise ApiError(409, "default_assistant", "The workspace's default assistant cannot be deleted.")
    assistant.delete()
    return Status(204, None)


def snippet_of(request: HttpRequest, assistant: Assistant) -> SnippetOut:
    """The website widget's embed snippet (docs/widget.md): one script tag naming the assistant."""
    try:
        path = reverse("widget:embed", kwargs={"assistant_id": assistant.public_id})
    except NoReverseMatch:  # the widget's app is not installed here
        path = f"/embed/{assistant.public_id}.js"
    src = request.build_absolute_uri(path)
    return SnippetOut(
        id=str(assistant.public_id), snippet=f'<script src="{src}" async></script>',
        widget_enabled=assistant.widget_enabled, allowed_origins=list(assistant.allowed_origins),
    )  # fmt: skip


@router.get(
    "/{assistant_id}/snippet", auth=READ, response={200: SnippetOut, **ERRORS}, summary="Embed snippet"
)
def snippet(request: HttpRequest, assistant_id: str) -> SnippetOut:
    """The HTML to paste into a website for this assistant's chat widget."""
    return snippet_of(request, access.get_assistant(key_of(request), assistant_id))


@router.post(
    "/{assistant_id}/rotate", auth=WRITE, response={200: SnippetOut, **ERRORS}, summary="Rotate its id"
)
def rotate(request: HttpRequest, assistant_id: str) -> SnippetOut:
    """A new id for the assistant: snippets (and API calls) with the old one stop working at once.
    Its conversations, documents and settings stay."""
    assistant = access.get_assistant(key_of(request), assistant_id)
    assistant.public_id = uuid.uuid4()
    assistant.save(update_fields=["public_id"])
    return snippet_of(request, assistant)


def _checked(key: ApiKey, fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse what cannot be stored, with a message naming the field; resolve document ids."""
    for name, value in fields.items():
        if value is None and name not in ("documents",):
            raise ApiError(400, "invalid_request", f"{name}: must not be null.")
    if (model := fields.get("model")) and model not in settings.ALLOWED_MODELS:
        raise ApiError(400, "unknown_model", f"model: choose one of {', '.join(settings.ALLOWED_MODELS)}.")
    for origin in fields.get("allowed_origins") or []:
        if not ORIGIN.match(origin):
            raise ApiError(
                400, "invalid_origin", f"allowed_origins: {origin[:100]!r} is not like https://example.com."
            )
    if fields.get("name") is not None and not fields["name"].strip():
        raise ApiError(400, "invalid_request", "name: must not be blank.")
    if fields.get("documents") is not None:
        wanted = {access.parse_id(d) for d in fields["documents"]}
        found = list(Document.objects.filter(tenant_id=key.tenant_id, public_id__in=wanted - {None}))
        if None in wanted or len(found) != len(wanted):
            raise ApiError(
                400, "unknown_document", "documents: each must be the id of a document of this workspace."
            )
        fields["documents"] = found
    return fields


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    plain = {k: v for k, v in fields.items() if k not in ("documents", "instructions")}
    if fields.get("documents") is not None:
        plain["all_documents"] = False
    return plain


def _apply_related(assistant: Assistant, fields: dict[str, Any]) -> None:
    if fields.get("documents") is not None:
        assistant.documents.set(fields["documents"])
    if "instructions" in fields:
        assistant.instruction_blocks.all().delete()
        InstructionBlock.objects.bulk_create(
            InstructionBlock(assistant=assistant, position=i, text=text)
            for i, text in enumerate(split_instructions(fields["instructions"] or ""))
        )
