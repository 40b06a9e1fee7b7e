"""The sources under an answer mark the passages that OCR read, since they may hold recognition
errors; passages from a text layer are not marked."""

import pytest
from django.test import Client

from chat.models import ChatSession, Message
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Document, DocumentPage

pytestmark = pytest.mark.django_db
MARK = "read by OCR"


def pages(document: Document, *sources: str) -> None:
    DocumentPage.objects.bulk_create(
        DocumentPage(tenant=document.tenant, document=document, number=n, text="...", source=source)
        for n, source in enumerate(sources, start=1)
    )


def source(n: int, document: Document, start: int, end: int) -> dict[str, object]:
    return {"n": n, "chunk": n, "document": str(document.public_id), "title": document.title,
            "page_start": start, "page_end": end, "snippet": f"passage {n}"}  # fmt: skip


def test_it_marks_the_sources_that_ocr_read(client: Client, cast: Cast) -> None:
    scan = make_document(cast.acme, "Signed contract", ["one", "two", "three"])
    pages(scan, "text", "ocr", "none")
    manual = make_document(cast.acme, "Manual", ["one", "two"])
    pages(manual, "text", "text")
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Contract")
    sources = [source(1, scan, 1, 1), source(2, scan, 1, 2), source(3, manual, 1, 2)]
    Message.objects.create(session=chat, role=Message.Role.ASSISTANT, content="[1] [2] [3]", sources=sources)
    client.force_login(cast.member)

    html = client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()

    items = html.split('<li id="src-')[1:]
    assert len(items) == 3
    assert [MARK in item for item in items] == [False, True, False]  # [2] spans the scanned page 2


def test_it_does_not_mark_from_another_workspaces_pages(client: Client, cast: Cast) -> None:
    elsewhere = make_document(cast.globex, "Their scan", ["one"])
    pages(elsewhere, "ocr")
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Forged")
    Message.objects.create(
        session=chat, role=Message.Role.ASSISTANT, content="[1]", sources=[source(1, elsewhere, 1, 1)]
    )
    client.force_login(cast.member)
    assert MARK not in client.get(f"/t/acme/chat/{chat.public_id}/").content.decode()
    client.force_login(cast.other)  # another workspace's owner
    assert client.get(f"/t/acme/chat/{chat.public_id}/").status_code == 404
