"""Accepting uploaded PDFs: a streaming size limit, the checks, and all-or-nothing storage."""

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import IntegrityError, transaction

from documents import pdf
from documents.models import Document
from tenants import audit
from tenants.models import Tenant

MB = 1024 * 1024


def max_bytes() -> int:
    return settings.MAX_FILE_SIZE_MB * MB


class SizeLimitHandler(FileUploadHandler):
    """First in the chain: skips any file past MAX_FILE_SIZE_MB as its bytes stream in.

    Raising SkipFile makes Django close (and so delete) what the next handler wrote so far and
    discard the rest of that file, then carry on with the request's other files.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = max_bytes()
        self.too_large: list[str] = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large.append(self.file_name or "file")
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass
class Outcome:
    """What happened to one uploaded file."""

    name: str
    document: Document | None = None
    duplicate: Document | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.document is not None


def too_large(name: str) -> Outcome:
    return Outcome(name, error=f"This file is larger than the {settings.MAX_FILE_SIZE_MB} MB limit.")


def accept(
    tenant: Tenant, user: Any, upload: File, *, path: str | None = None, enqueue: bool = True
) -> Outcome:
    """Check one file and store it as a queued document, or say why not; nothing is left half-stored.

    `path` is where the bytes already are on disk (a temporary upload or an operator's file), so
    pypdfium2 can read them without loading the whole file into memory.
    """
    name = PurePath(upload.name or "upload.pdf").name
    try:
        digest, size = _inspect(upload)
        if existing := Document.objects.filter(tenant=tenant, sha256=digest).first():
            return Outcome(name, duplicate=existing)
        upload.seek(0)
        pages = pdf.page_count(path or upload.read())
    except pdf.PdfRejected as exc:
        return Outcome(name, error=str(exc))
    document = Document(
        tenant=tenant,
        uploaded_by=user,
        queued_by=user,
        title=title_from(name),
        original_name=name[:255],
        sha256=digest,
        size_bytes=size,
        page_count=pages,
    )
    document.skip_enqueue = not enqueue  # type: ignore[attr-defined]
    return _store(document, upload, user)


def _inspect(upload: File) -> tuple[str, int]:
    """Check the header and trailer bytes, and hash the file as it streams (never all in memory)."""
    upload.seek(0)
    pdf.check_header(upload.read(pdf.HEADER_WINDOW))
    upload.seek(0)
    sha, size, tail = hashlib.sha256(), 0, b""
    for chunk in upload.chunks():
        sha.update(chunk)
        size += len(chunk)
        tail = (tail + chunk)[-pdf.TRAILER_WINDOW :]
    pdf.check_trailer(tail)
    return sha.hexdigest(), size


def _store(document: Document, upload: File, user: Any) -> Outcome:
    upload.seek(0)
    document.file.save(document.original_name or "upload.pdf", upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            audit.record(
                document.tenant,
                user,
                audit.Action.DOCUMENT_UPLOADED,
                document.title,
                document=str(document.public_id),
                size_bytes=document.size_bytes,
                pages=document.page_count,
            )
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it first.
        document.file.delete(save=False)
        existing = Document.objects.filter(tenant=document.tenant, sha256=document.sha256).first()
        if existing is None:
            return Outcome(document.original_name, error="This file is being uploaded by someone else.")
        return Outcome(document.original_name, duplicate=existing)
    except BaseException:
        document.file.delete(save=False)
        raise
    return Outcome(document.original_name, document=document)


def title_from(name: str) -> str:
    stem = PurePath(name).stem if name.lower().endswith(".pdf") else name
    title = re.sub(r"[_\s]+", " ", stem).strip()
    return (title or "Untitled")[:255]
