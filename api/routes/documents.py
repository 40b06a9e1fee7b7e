"""/api/v1/documents: upload (the Documents page's own checks and messages), list, read, delete."""

import math

from django.db import transaction
from django.http import HttpRequest
from ninja import Field as F
from ninja import Query, Router, Schema, Status

from api import access
from api.auth import KeyAuth, key_of
from api.errors import ApiError
from api.models import Scope
from api.schemas import DocumentOut, DocumentPage, Error
from documents import live, uploads
from documents.models import Document
from tenants import audit

router = Router(tags=["documents"])
READ, WRITE = KeyAuth(Scope.DOCUMENTS_READ), KeyAuth(Scope.DOCUMENTS_WRITE)
ERRORS = {401: Error, 403: Error, 404: Error, 429: Error}

MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "One PDF."},
                        "title": {
                            "type": "string",
                            "maxLength": 255,
                            "description": "Default: from the file name.",
                        },
                    },
                }
            }
        },
    }
}


def out(document: Document) -> DocumentOut:
    return DocumentOut(
        id=document.public_id,
        title=document.title,
        status=document.status,
        pages=document.page_count,
        chunks=document.chunks_total,
        error=document.error,
        created=document.created,
    )


@router.post(
    "", auth=WRITE, response={202: DocumentOut, 400: Error, 409: Error, 413: Error, **ERRORS},
    openapi_extra=MULTIPART, summary="Upload a PDF",
)  # fmt: skip
def upload(request: HttpRequest) -> Status:
    """Multipart `file` (one PDF) and optional `title`. 202: queued for indexing. The checks and
    messages are the Documents page's; each refusal has a stable `code`."""
    size_limit = uploads.SizeLimitHandler(request)
    request.upload_handlers.insert(0, size_limit)  # before anything reads the body
    key = key_of(request)
    files = request.FILES.getlist("file")
    if size_limit.too_large:
        raise _refused(uploads.too_large(size_limit.too_large[0]))
    if len(files) != 1:
        raise ApiError(400, "file_required", "Send one PDF as the multipart field 'file'.")
    title = request.POST.get("title", "")
    if problem := uploads.title_problem(title):
        raise ApiError(400, "invalid_title", f"title: {problem}")
    upload_file = files[0]
    facts = size_limit.facts_for(files)[0]
    outcome = uploads.accept(key.tenant, None, upload_file, streamed=facts, title=title, key=key)
    if outcome.document is None:
        raise _refused(outcome)
    live.push_list_changed(key.tenant)
    return Status(202, out(outcome.document))


def _refused(outcome: uploads.Outcome) -> ApiError:
    if outcome.duplicate is not None:
        found = outcome.duplicate
        return ApiError(
            409,
            "duplicate",
            f"This workspace already has this file, as {found.title} (id {found.public_id}).",
        )
    status = 413 if outcome.code == "too_large" else 409 if outcome.code == "busy" else 400
    return ApiError(status, outcome.code or "rejected", outcome.error)


class Paging(Schema):
    page: int = F(1, ge=1, le=1_000_000)
    page_size: int = F(25, ge=1, le=100)


@router.get("", auth=READ, response={200: DocumentPage, **ERRORS}, summary="List documents")
def list_documents(request: HttpRequest, paging: Query[Paging]) -> DocumentPage:
    """Newest first, `page_size` (25) at a time."""
    found = access.documents(key_of(request))
    count = found.count()
    start = (paging.page - 1) * paging.page_size
    items = [out(d) for d in found[start : start + paging.page_size]]
    return DocumentPage(items=items, count=count, page=paging.page, pages=math.ceil(count / paging.page_size))


@router.get("/{document_id}", auth=READ, response={200: DocumentOut, **ERRORS}, summary="Read a document")
def read_document(request: HttpRequest, document_id: str) -> DocumentOut:
    return out(access.get_document(key_of(request), document_id))


@router.delete("/{document_id}", auth=WRITE, response={204: None, **ERRORS}, summary="Delete a document")
def delete_document(request: HttpRequest, document_id: str) -> Status:
    """Deletes its file, chunks and vectors, at once."""
    key = key_of(request)
    document = access.get_document(key, document_id)
    with transaction.atomic():
        document.delete()
        audit.record(
            key.tenant, None, audit.Action.DOCUMENT_DELETED, document.title,
            document=str(document_id), api_key=key.prefix,
        )  # fmt: skip
    live.push_list_changed(key.tenant)
    return Status(204, None)
