from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests.conftest import enqueued_ids, ingest_now, make_document
from tenants.models import AuditEntry


def test_it_queues_a_ready_document_again_and_says_so(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    document = ingest_now(make_document(cast))
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/t/acme/documents/{document.public_id}/reindex/", headers={"HX-Request": "true"}
        )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="doc-{document.public_id}"') and "Queued" in html
    assert f"Re-indexing {document.title}." in html
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED and document.queued_by == cast.owner
    assert enqueued_ids() == [document.pk]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_REINDEXED)
    assert (entry.actor, entry.target) == (cast.owner, document.title)


def test_it_refuses_while_the_document_is_queued_or_processing(client: Client, cast: Cast) -> None:
    document = make_document(cast)
    client.force_login(cast.owner)
    html = client.post(
        f"/t/acme/documents/{document.public_id}/reindex/", headers={"HX-Request": "true"}
    ).content.decode()
    assert f"{document.title} is already queued or being indexed." in html
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOCUMENT_REINDEXED).exists()


def test_it_returns_to_the_detail_page_without_javascript(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    client.force_login(cast.owner)
    response = client.post(f"/t/acme/documents/{document.public_id}/reindex/", {"next": "detail"})
    assert response.url == f"/t/acme/documents/{document.public_id}/"


def test_it_is_for_the_uploader_and_admins_only(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    client.force_login(cast.member)
    assert client.post(f"/t/acme/documents/{document.public_id}/reindex/").status_code == 403
    document.refresh_from_db()
    assert document.status == Document.Status.READY
