from django.test import Client

from accounts.models import User
from docuchat.testing import Cast
from documents.models import Document
from documents.tests.conftest import enqueued_ids, ingest_now, make_document
from tenants.models import AuditEntry


def admin_client(client: Client) -> tuple[Client, User]:
    admin = User.objects.create_superuser(email="admin@docuchat.test", password="x-long-password-1")
    client.force_login(admin)
    return client, admin


def test_it_lists_documents_with_their_status_and_filters(client: Client, cast: Cast) -> None:
    ingest_now(make_document(cast, name="ready-one.pdf"))
    make_document(cast, name="waiting.pdf", tenant="globex")
    client, _ = admin_client(client)
    html = client.get("/admin/documents/document/").content.decode()
    assert "ready-one" in html and "waiting" in html and "Ready" in html and "Queued" in html
    assert "By status" in html and "By tenant" in html
    filtered = client.get("/admin/documents/document/?status__exact=queued").content.decode()
    assert "waiting" in filtered and "ready-one" not in filtered


def test_it_reindexes_the_selected_documents(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    ready = ingest_now(make_document(cast, name="ready-one.pdf"))
    busy = make_document(cast, name="waiting.pdf", tenant="globex")
    client, admin = admin_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/documents/document/",
            {"action": "reindex", "_selected_action": [ready.pk, busy.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert "Queued 1 document(s) for re-indexing." in html and "Skipped 1 already queued" in html
    ready.refresh_from_db()
    assert ready.status == Document.Status.QUEUED and enqueued_ids() == [ready.pk]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_REINDEXED)
    assert (entry.tenant, entry.actor, entry.details["via"]) == (cast.acme, admin, "admin")


def test_it_shows_a_document_read_only_and_adds_none_by_hand(client: Client, cast: Cast) -> None:
    document = make_document(cast)
    client, _ = admin_client(client)
    assert client.get(f"/admin/documents/document/{document.pk}/change/").status_code == 200
    assert client.get("/admin/documents/document/add/").status_code == 403
