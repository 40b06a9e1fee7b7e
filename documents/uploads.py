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

from documents import pdf, queueing
from documents.models import Document
from tenants import audit
from tenants.models import Tenant

MB = 1024 * 1024


def max_bytes() -> int:
    return settings.MAX_FILE_SIZE_MB * MB


@dataclass(frozen=True)
class Streamed:
    """What the upload handler learnt about a file as it streamed past: no second read needed."""

    name: str
    size: int
    sha256: str
    head: bytes
    tail: bytes


class SizeLimitHandler(FileUploadHandler):
    """First in the chain: skips any file past MAX_FILE_SIZE_MB as its bytes stream in.

    Raising SkipFile makes Django close (and so delete) what the next handler wrote so far and
    discard the rest of that file, then carry on with the request's other files. On the way it
    hashes each file and keeps its first and last KiB, for the checks in `accept`.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = max_bytes()
        self.too_large: list[str] = []
        self.streamed: list[Streamed] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.sha, self.head, self.tail = hashlib.sha256(), b"", b""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large.append(self.file_name or "file")
            raise SkipFile()
        self.sha.update(raw_data)
        if len(self.head) < pdf.HEADER_WINDOW:
            self.head += raw_data[: pdf.HEADER_WINDOW - len(self.head)]
        self.tail = (self.tail + raw_data[-pdf.TRAILER_WINDOW :])[-pdf.TRAILER_WINDOW :]
        return raw_data

    def file_complete(self, file_size: int) -> None:
        self.streamed.append(
            Streamed(self.file_name or "", file_size, self.sha.hexdigest(), self.head, self.tail)
        )

    def facts_for(self, files: list[Any]) -> list[Streamed | None]:
        """Each received file's facts, in order (None where they do not match, to be safe)."""
        facts: list[Streamed | None] = list(self.streamed)
        facts += [None] * (len(files) - len(facts))
        return [
            f if f and (f.name, f.size) == (u.name, u.size) else None
            for f, u in zip(facts, files, strict=False)
        ]


@dataclass
class Outcome:
    """What happened to one uploaded file."""

    name: str
    document: Document | None = None
    duplicate: Document | None = None
    error: str = ""
    code: str = ""  # the error's stable name, for programs (the API's error code)
    retried: bool = False  # `document` had failed with the same file, and is queued again

    @property
    def ok(self) -> bool:
        return self.document is not None


def title_problem(title: str) -> str | None:
    """Why `title` cannot be a document's title (every door asks this before `accept`), or None."""
    if "\x00" in title:
        return "the title cannot contain a NUL character."
    if len(title.strip()) > 255:
        return "at most 255 characters."
    return None


def too_large(name: str) -> Outcome:
    message = f"This file is larger than the {settings.MAX_FILE_SIZE_MB} MB limit."
    return Outcome(name, error=message, code="too_large")


def accept(
    tenant: Tenant,
    user: Any,
    upload: File,
    *,
    path: str | None = None,
    streamed: Streamed | None = None,
    enqueue: bool = True,
    title: str = "",
    key: Any = None,
) -> Outcome:
    """Check one file and store it as a queued document, or say why not; nothing is left half-stored.

    `path` is where the bytes already are on disk (an operator's file; a temporary upload's own path
    is found here), so pypdfium2 can read them without loading the whole file into memory.
    `streamed`: what the upload handler already learnt (hash, first and last bytes), so the file is
    not read again.
    `title`: the document's title ("": made from the file name). `key`: the API key it came
    with (its embedding tokens are metered to the key).
    """
    name = PurePath(upload.name or "upload.pdf").name
    if path is None and hasattr(upload, "temporary_file_path"):
        path = upload.temporary_file_path()
    try:
        digest, size = _check_streamed(streamed) if streamed else _inspect(upload)
        if existing := Document.objects.filter(tenant=tenant, sha256=digest).first():
            return _again(existing, name, user, enqueue, key)
        upload.seek(0)
        pages = pdf.page_count(path or upload.read())
    except pdf.PdfRejected as exc:
        return Outcome(name, error=str(exc), code=exc.code)
    document = Document(
        tenant=tenant,
        uploaded_by=user,
        uploaded_by_key=key,
        queued_by=user,
        queued_by_key=key,
        title=title.strip()[:255] or title_from(name),
        original_name=name[:255],
        sha256=digest,
        size_bytes=size,
        page_count=pages,
    )
    document.skip_enqueue = not enqueue  # type: ignore[attr-defined]
    return _store(document, upload, user)


def _again(existing: Document, name: str, user: Any, enqueue: bool, key: Any = None) -> Outcome:
    """The workspace has this file already. If it failed, sending it again is asking for a retry."""
    if existing.status != Document.Status.FAILED:
        return Outcome(name, duplicate=existing)
    with transaction.atomic():
        if not queueing.requeue([existing], by=user, enqueue_task=enqueue, key=key):
            return Outcome(name, duplicate=existing)  # someone retried it a moment ago
        audit.record(
            existing.tenant, user, audit.Action.DOCUMENT_REINDEXED, existing.title,
            document=str(existing.public_id), reason="the same file was uploaded again after it failed",
        )  # fmt: skip
    return Outcome(name, document=existing, retried=True)


def _inspect(upload: File) -> tuple[str, int]:
    """Check the header and trailer bytes, and hash the file as it streams (never all in memory)."""
    pdf.check_size(upload.size)
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


def _check_streamed(streamed: Streamed) -> tuple[str, int]:
    pdf.check_size(streamed.size)
    pdf.check_header(streamed.head)
    pdf.check_trailer(streamed.tail)
    return streamed.sha256, streamed.size


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
                **({"api_key": document.uploaded_by_key.prefix} if document.uploaded_by_key else {}),
            )
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it first.
        document.file.delete(save=False)
        existing = Document.objects.filter(tenant=document.tenant, sha256=document.sha256).first()
        if existing is None:
            busy = "This file is being uploaded by someone else."
            return Outcome(document.original_name, error=busy, code="busy")
        return Outcome(document.original_name, duplicate=existing)
    except BaseException:
        document.file.delete(save=False)
        raise
    return Outcome(document.original_name, document=document)


def title_from(name: str) -> str:
    stem = PurePath(name).stem if name.lower().endswith(".pdf") else name
    title = re.sub(r"[_\s]+", " ", stem).strip()
    return (title or "Untitled")[:255]
