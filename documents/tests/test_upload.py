from pathlib import Path

from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import enqueued_ids, pdf_upload, stored_files, upload
from tenants.models import AuditEntry


def test_it_stores_several_pdfs_at_once_and_queues_each(
    client: Client, cast: Cast, media: Path, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        html = upload(
            client,
            pdf_upload("Q3 report.pdf", pdfs.text_pdf(3)),
            pdf_upload("b.pdf", pdfs.text_pdf(2, seed=1)),
        )
    documents = list(Document.objects.all())
    assert {(d.title, d.page_count, d.status) for d in documents} == {
        ("Q3 report", 3, "queued"),
        ("b", 2, "queued"),
    }
    assert "Q3 report.pdf</strong>: uploaded, queued for indexing." in html
    assert sorted(enqueued_ids()) == sorted(d.pk for d in documents)
    assert all(d.tenant == cast.acme and d.uploaded_by == cast.member for d in documents)
    # Stored through the storage API, named by the opaque id, never the user's file name.
    assert sorted(p.name for p in stored_files(media)) == sorted(f"{d.public_id}.pdf" for d in documents)
    assert all(d.file.read()[:5] == b"%PDF-" for d in documents)


def test_it_enqueues_only_once_the_row_is_committed(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(client, pdf_upload("a.pdf", pdfs.text_pdf(1)))
    assert enqueued_ids() == []
    for callback in callbacks:
        callback()
    assert enqueued_ids() == [Document.objects.get().pk]


def test_it_records_the_upload_in_the_audit_log(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    upload(client, pdf_upload("manual.pdf", pdfs.text_pdf(2)))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_UPLOADED)
    document = Document.objects.get()
    assert (entry.tenant, entry.actor, entry.target) == (cast.acme, cast.owner, "manual")
    assert entry.details["document"] == str(document.public_id) and entry.details["pages"] == 2


def test_it_works_without_javascript(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("plain.pdf", pdfs.text_pdf(1)), htmx=False)
    assert "plain.pdf: uploaded, queued for indexing." in html
    assert "<h1>Documents</h1>" in html and Document.objects.filter(title="plain").exists()


def test_it_asks_for_a_file_when_none_is_sent(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post("/t/acme/documents/", {}, headers={"HX-Request": "true"})
    assert "Choose one or more PDF files to upload." in response.content.decode()
    assert not Document.objects.exists()


def test_it_shows_the_upload_form_the_limits_and_the_documents(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    upload(client, pdf_upload("a.pdf", pdfs.text_pdf(1)))
    html = client.get("/t/acme/documents/").content.decode()
    assert 'type="file" name="files"' in html and "multiple" in html
    assert 'hx-ext="ws" ws-connect="/ws/t/acme/documents/"' in html
    assert "PDFs up to 25 MB and 500 pages each" in html
    assert ">a</a>" in html and "Queued" in html


def test_it_returns_only_the_rows_to_htmx_when_they_are_the_target(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    upload(client, pdf_upload("a.pdf", pdfs.text_pdf(1)))
    response = client.get("/t/acme/documents/", headers={"HX-Request": "true", "HX-Target": "doc-rows"})
    html = response.content.decode()
    assert html.lstrip().startswith('<tr id="doc-') and "<h1>" not in html
    assert "HX-Request" in response["Vary"]


def test_it_accepts_a_pdf_that_is_encrypted_only_against_editing(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("locked.pdf", pdfs.owner_only_encrypted_pdf()))
    assert "uploaded, queued" in html
    assert Document.objects.filter(title="locked").exists()


def test_it_refuses_the_other_tenants_users(client: Client, cast: Cast, media: Path) -> None:
    client.force_login(cast.other)
    response = client.post("/t/acme/documents/", {"files": [pdf_upload("a.pdf", pdfs.text_pdf(1))]})
    assert response.status_code == 404
    assert not Document.objects.exists() and stored_files(media) == []
