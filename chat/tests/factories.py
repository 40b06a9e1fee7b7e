"""Documents and chunks built directly (embedded with their workspace's model), not ingested."""

import hashlib
from collections.abc import Sequence

from django.core.files.base import ContentFile

from docuchat.lib.tokens import count_tokens
from documents import index, vectors, windows
from documents.models import Chunk, Document, DocumentVectors
from tenants.models import Tenant


def make_document(tenant: Tenant, title: str, pages: Sequence[str], *, pdf: bytes | None = None) -> Document:
    """A ready document whose page i+1 is one chunk with text pages[i]."""
    digest = hashlib.sha256(f"{tenant.pk}:{title}:{pages}".encode()).hexdigest()
    document = Document.objects.create(
        tenant=tenant,
        title=title,
        sha256=digest,
        status=Document.Status.READY,
        page_count=len(pages),
        chunks_total=len(pages),
        chunks_embedded=len(pages),
    )
    if pdf is not None:
        document.file.save(f"{document.public_id}.pdf", ContentFile(pdf), save=True)
    add_chunks(document, pages)
    return document


def add_chunks(
    document: Document, pages: Sequence[str], *, first: int = 0, with_windows: bool = True
) -> list[Chunk]:
    """Chunks `first`, `first`+1, ... of `document`, chunk i on page i+1, with vectors of each model
    its workspace needs (its own, and the one it is switching to), and their sentence windows as
    ingestion stores them (offline models), unless `with_windows` is False (chunks indexed before
    windows existed)."""
    chunks = Chunk.objects.bulk_create(
        Chunk(
            tenant_id=document.tenant_id,
            document=document,
            ordinal=i,
            text=text,
            page_start=i + 1,
            page_end=i + 1,
            token_count=count_tokens(text),
        )
        for i, text in enumerate(pages, start=first)
    )
    for store in index.stores_to_fill(index.current(document.tenant_id)):
        embedder = index.embedder_for(store)
        embedded = embedder.embed(list(pages))
        packed = windows.compute(embedder, list(pages)) if with_windows else []
        pairs = zip(chunks, embedded.vectors, strict=True)
        vectors.insert(store, [(c.tenant_id, c.pk, c.document_id, v) for c, v in pairs], windows=packed)
        DocumentVectors.objects.get_or_create(document=document, store=store)
    return chunks


def pdf_bytes(pages: Sequence[str]) -> bytes:
    """A real PDF (fpdf2) with one page per text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())
