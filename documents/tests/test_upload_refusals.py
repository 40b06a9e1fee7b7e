"""Every bad file gets a clear message, and nothing of it is stored: no row, no file."""

from pathlib import Path

import pytest
from django.test import Client, override_settings

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import enqueued_ids, pdf_upload, stored_files, upload
from tenants.models import AuditEntry

DAMAGED = b"%PDF-1.7\n" + b"this is not really a PDF body\n" * 50 + b"%%EOF\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pdfs.not_a_pdf(), "This file is not a PDF (its content does not start like one)."),
        (b"", "This file is empty (0 bytes). Choose the PDF again, or check that it was saved."),
        (pdfs.truncated_pdf(), "This PDF is incomplete (it stops before its end); it was probably cut off."),
        (DAMAGED, "This PDF is damaged and cannot be read."),
        (pdfs.encrypted_pdf(), "This PDF is password-protected. Remove the password and upload it again."),
    ],
    ids=["not-a-pdf", "empty", "truncated", "damaged", "encrypted"],
)
def test_it_refuses_bad_files_with_a_clear_message_and_stores_nothing(
    client: Client, cast: Cast, media: Path, data: bytes, message: str
) -> None:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("bad.pdf", data))
    assert "<strong>bad.pdf</strong>: " + message in html
    assert not Document.objects.exists()
    assert stored_files(media) == []
    assert enqueued_ids() == []
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOCUMENT_UPLOADED).exists()


def test_it_checks_the_bytes_not_the_name(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("scan.pdf", pdfs.not_a_pdf()), pdf_upload("notes.txt", pdfs.text_pdf(1)))
    assert "<strong>scan.pdf</strong>: This file is not a PDF" in html
    assert "<strong>notes.txt</strong>: uploaded" in html
    assert list(Document.objects.values_list("title", flat=True)) == ["notes.txt"]


@override_settings(MAX_PDF_PAGES=3)
def test_it_refuses_too_many_pages(client: Client, cast: Cast, media: Path) -> None:
    client.force_login(cast.owner)
    html = upload(
        client,
        pdf_upload("long.pdf", pdfs.too_many_pages_pdf(4)),
        pdf_upload("ok.pdf", pdfs.too_many_pages_pdf(3)),
    )
    assert "<strong>long.pdf</strong>: This PDF has 4 pages; the limit is 3." in html
    assert list(Document.objects.values_list("title", flat=True)) == ["ok"]
    assert len(stored_files(media)) == 1


def test_it_says_so_without_javascript_too(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("bad.pdf", pdfs.encrypted_pdf()), htmx=False)
    assert "bad.pdf: This PDF is password-protected." in html


def test_it_leaves_no_file_when_saving_the_row_fails(
    cast: Cast, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from documents import uploads

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(uploads.audit, "record", broken)
    with pytest.raises(RuntimeError):
        uploads.accept(cast.acme, cast.owner, pdf_upload("a.pdf", pdfs.text_pdf(1)))
    assert not Document.objects.exists()
    assert stored_files(media) == []
