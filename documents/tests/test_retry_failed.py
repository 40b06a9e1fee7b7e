"""A failed document offers Retry, and sending the same file again retries it (or, once it is
deleted, stores it anew), in the browser's upload and in `manage.py ingest`."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import enqueued_ids, make_document, pdf_upload, upload
from tenants.models import AuditEntry

Status = Document.Status


def failed(cast: Cast, data: bytes) -> Document:
    document = make_document(cast, data, name="manual.pdf")
    Document.objects.filter(pk=document.pk).update(status=Status.FAILED, error="The model server was down.")
    document.refresh_from_db()
    return document


def test_it_offers_retry_on_a_failed_document_to_those_who_may_reindex(client: Client, cast: Cast) -> None:
    document = failed(cast, pdfs.text_pdf(2))
    client.force_login(cast.owner)
    row = client.get("/t/acme/documents/").content.decode().split(f'id="doc-{document.public_id}"')[1]
    assert ">Retry</button>" in row.split("</tr>")[0] and "The model server was down." in row
    client.force_login(cast.member)  # not the uploader, not an admin
    assert ">Retry</button>" not in client.get("/t/acme/documents/").content.decode()


def test_it_retries_when_retry_is_pressed(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    document = failed(cast, pdfs.text_pdf(2))
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/t/acme/documents/{document.public_id}/reindex/", headers={"HX-Request": "true"})
    document.refresh_from_db()
    assert (document.status, document.error) == (Status.QUEUED, "")
    assert enqueued_ids()[-1] == document.pk


def test_it_retries_a_failed_document_when_its_file_is_uploaded_again(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    data = pdfs.text_pdf(2)
    document = failed(cast, data)
    client.force_login(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        html = upload(client, pdf_upload("manual again.pdf", data))
    assert "<strong>manual again.pdf</strong>: this file had failed; indexing it again." in html
    assert "already has this file" not in html
    document.refresh_from_db()
    assert document.status == Status.QUEUED and document.queued_by == cast.member
    assert Document.objects.count() == 1 and enqueued_ids()[-1] == document.pk
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_REINDEXED)
    assert entry.actor == cast.member and "uploaded again" in entry.details["reason"]


def test_it_says_so_without_javascript_too(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(2)
    failed(cast, data)
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("manual.pdf", data), htmx=False)
    assert "manual.pdf: this file had failed; indexing it again." in html


def test_it_still_refuses_a_duplicate_of_a_document_that_did_not_fail(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(2)
    make_document(cast, data)
    client.force_login(cast.owner)
    assert "this workspace already has this file" in upload(client, pdf_upload("again.pdf", data))
    assert Document.objects.count() == 1


def test_it_accepts_the_file_again_once_the_failed_document_is_deleted(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(2)
    document = failed(cast, data)
    client.force_login(cast.owner)
    client.post(f"/t/acme/documents/{document.public_id}/delete/", headers={"HX-Request": "true"})
    assert not Document.objects.exists()
    html = upload(client, pdf_upload("manual.pdf", data))
    assert "<strong>manual.pdf</strong>: uploaded, queued for indexing." in html
    assert Document.objects.get().public_id != document.public_id


def test_it_indexes_a_failed_file_again_from_the_command_line(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(pdfs.text_pdf(3))
    document = failed(cast, path.read_bytes())
    out = StringIO()
    call_command("ingest", str(path), "--tenant", "acme", stdout=out, stderr=StringIO())
    assert "     OK  manual.pdf: 3 pages" in out.getvalue() and "SKIPPED" not in out.getvalue()
    document.refresh_from_db()
    assert document.status == Status.READY and Document.objects.count() == 1


def test_it_keeps_retry_to_the_workspace(client: Client, cast: Cast) -> None:
    document = failed(cast, pdfs.text_pdf(2))
    client.force_login(cast.other)
    assert client.post(f"/t/acme/documents/{document.public_id}/reindex/").status_code == 404
    html = upload(client, pdf_upload("manual.pdf", pdfs.text_pdf(2)), slug="globex")
    assert "uploaded, queued for indexing" in html  # globex's own copy; acme's failed one untouched
    document.refresh_from_db()
    assert document.status == Status.FAILED
