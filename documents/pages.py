"""A document's stored pages: written as they are read, so that no page is read (or OCR'd) twice."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet

from documents.models import Document, DocumentPage
from documents.pdf import Page

Source = DocumentPage.Source


@dataclass(frozen=True)
class Read:
    """A page as read by the extraction child."""

    number: int
    text: str
    source: str  # one of DocumentPage.Source


def stored(document: Document) -> "QuerySet[DocumentPage]":
    return DocumentPage.objects.filter(tenant_id=document.tenant_id, document_id=document.pk)


def stored_numbers(document: Document) -> set[int]:
    return set(stored(document).values_list("number", flat=True))


def save(document: Document, owned: "QuerySet[Document]", pages: Iterable[Read]) -> bool:
    """Store pages (replacing any stored under the same numbers) if the run still holds the
    document; False when it does not (deleted or taken over), and nothing is written."""
    rows = [
        DocumentPage(
            tenant_id=document.tenant_id,
            document_id=document.pk,
            number=p.number,
            text=p.text,
            source=p.source,
        )
        for p in pages
    ]
    if not rows:
        return True
    with transaction.atomic():
        if not owned.select_for_update().exists():
            return False
        DocumentPage.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["document", "number"],
            update_fields=["text", "source"],
        )
    return True


def for_chunking(document: Document) -> list[Page]:
    """Every stored page with text, in order, as chunking takes them."""
    rows = stored(document).exclude(source=Source.NONE).order_by("number").values_list("number", "text")
    return [Page(number=number, text=text) for number, text in rows]


def summary(document: Document) -> dict[str, str]:
    """Where each page's text came from, for the detail page: {"OCR": "pages 3-7, 12", ...}."""
    numbers: dict[str, list[int]] = {}
    for number, source in stored(document).order_by("number").values_list("number", "source"):
        numbers.setdefault(source, []).append(number)
    summary = {}
    for value, label in Source.choices:
        if value in numbers:
            noun = "page" if len(numbers[value]) == 1 else "pages"
            summary[label] = f"{noun} {', '.join(ranges(numbers[value]))}"
    return summary


def ranges(numbers: list[int]) -> list[str]:
    """[1, 2, 3, 7, 9, 10] -> ["1\u20133", "7", "9\u201310"] (sorted input)."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return [f"{a}" if a == b else f"{a}\u2013{b}" for a, b in spans]


def ocr_marks(tenant_id: int, sources: Iterable[tuple[str, int, int]]) -> list[bool]:
    """For each (document public id, first page, last page), whether any of its pages was read
    by OCR: one query for a whole list of an answer's sources, written out (every finished answer
    asks it, and the ORM took longer to build it than PostgreSQL took to answer: py-spy, the
    200-chat burst)."""
    spans = [(uuid.UUID(str(public_id)), start, end) for public_id, start, end in sources]
    if not spans:
        return []
    documents, firsts, lasts = (list(column) for column in zip(*spans, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_OCR_MARKS, [list(range(len(spans))), documents, firsts, lasts, tenant_id])
        marked = {n for (n,) in cursor.fetchall()}
    return [n in marked for n in range(len(spans))]


_OCR_MARKS = f"""
    SELECT DISTINCT s.n FROM unnest(%s::int[], %s::uuid[], %s::int[], %s::int[]) AS s(n, doc, first, last)
    JOIN {Document._meta.db_table} d ON d.public_id = s.doc
    JOIN {DocumentPage._meta.db_table} p ON p.document_id = d.id AND p.number BETWEEN s.first AND s.last
    WHERE p.tenant_id = %s AND p.source = '{Source.OCR.value}'
"""  # noqa: S608 (names and a choice from the models)
