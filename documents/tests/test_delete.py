from pathlib import Path

from django.test import Client

from docuchat.testing import Cast
from documents import uploads
from documents.models import Chunk, Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document, pdf_upload, stored_files
from tenants.models import AuditEntry


def test_it_removes_the_row_its_chunks_and_its_file(
    client: Client, cast: Cast, media: Path, django_capture_on_commit_callbacks
) -> None:
    document = ingest_now(make_document(cast))
    assert Chunk.objects.exists() and stored_files(media)
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/t/acme/documents/{document.public_id}/delete/", headers={"HX-Request": "true"}
        )
    assert (
        'hx-swap-oob="true"' in response.content.decode()
        and f"Deleted {document.title}." in response.content.decode()
    )
    assert not Document.objects.exists() and not Chunk.objects.exists()
    assert stored_files(media) == []
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_DELETED)
    assert (entry.actor, entry.target, entry.details["document"]) == (
        cast.owner,
        document.title,
        str(document.public_id),
    )


def test_it_redirects_to_the_list_without_javascript(client: Client, cast: Cast) -> None:
    document = make_document(cast)
    client.force_login(cast.owner)
    response = client.post(f"/t/acme/documents/{document.public_id}/delete/", {"next": "detail"}, follow=True)
    assert response.redirect_chain[-1][0] == "/t/acme/documents/"
    assert f"Deleted {document.title}." in response.content.decode()


def test_it_lets_a_member_delete_only_their_own_documents(client: Client, cast: Cast) -> None:
    theirs = make_document(cast)  # the owner's
    client.force_login(cast.member)
    assert client.post(f"/t/acme/documents/{theirs.public_id}/delete/").status_code == 403
    assert Document.objects.filter(pk=theirs.pk).exists()
    mine = uploads.accept(cast.acme, cast.member, pdf_upload("mine.pdf", pdfs.text_pdf(1, seed=9))).document
    assert mine is not None
    assert client.post(f"/t/acme/documents/{mine.public_id}/delete/").status_code == 302
    assert not Document.objects.filter(pk=mine.pk).exists()


def test_it_only_deletes_by_post(client: Client, cast: Cast) -> None:
    document = make_document(cast)
    client.force_login(cast.owner)
    assert client.get(f"/t/acme/documents/{document.public_id}/delete/").status_code == 405
    assert Document.objects.exists()
