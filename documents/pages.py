"""A document's stored pages: written as they are read, so that no page is read (or OCR'd) twice."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

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
    by OCR: one query for a whole list of an answer's sources."""
    sources = list(sources)
    if not sources:
        return []
    spans = Q()
    for public_id, start, end in sources:
        spans |= Q(document__public_id=public_id, number__gte=start, number__lte=end)
    found = DocumentPage.objects.filter(spans, tenant_id=tenant_id, source=Source.OCR)
    hits = set(found.values_list("document__public_id", "number"))
    return [
        any((uuid.UUID(str(public_id)), n) in hits for n in range(start, end + 1))
        for public_id, start, end in sources
    ]
