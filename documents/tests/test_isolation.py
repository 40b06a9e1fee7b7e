"""Another tenant's people never see, reach or change this tenant's documents or chunks."""

from django.test import Client

from docuchat.testing import Cast
from documents.models import Chunk, Document
from documents.tests.conftest import ingest_now, make_document
from tenants import access


def document_urls(document: Document) -> list[str]:
    base = f"/t/acme/documents/{document.public_id}/"
    return [base, base + "file/", base + "reindex/", base + "delete/"]


def test_it_gives_404_on_every_document_url_to_another_tenants_user(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    client.force_login(cast.other)
    for url in ["/t/acme/documents/", *document_urls(document)]:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert Document.objects.get().status == Document.Status.READY


def test_it_gives_404_when_a_document_is_asked_for_under_the_other_tenant(client: Client, cast: Cast) -> None:
    document = make_document(cast)
    client.force_login(cast.other)  # a member of globex, asking for acme's document in globex
    base = f"/t/globex/documents/{document.public_id}/"
    for url in [base, base + "file/"]:
        assert client.get(url).status_code == 404, url
    for url in [base + "reindex/", base + "delete/"]:
        assert client.post(url).status_code == 404, url
    assert Document.objects.filter(pk=document.pk).exists()


def test_it_lists_only_this_tenants_documents(client: Client, cast: Cast) -> None:
    ours = make_document(cast, name="acme-secret.pdf")
    theirs = make_document(cast, tenant="globex", name="globex-plan.pdf")
    client.force_login(cast.other)
    html = client.get("/t/globex/documents/").content.decode()
    assert "globex-plan" in html and "acme-secret" not in html and str(ours.public_id) not in html
    rows = client.get(
        "/t/globex/documents/", headers={"HX-Request": "true", "HX-Target": "doc-rows"}
    ).content.decode()
    assert str(theirs.public_id) in rows and str(ours.public_id) not in rows


def test_it_keeps_each_chunk_in_its_documents_tenant(cast: Cast) -> None:
    ingest_now(make_document(cast))
    ingest_now(make_document(cast, tenant="globex"))
    for document in Document.objects.all():
        assert set(Chunk.objects.filter(document=document).values_list("tenant_id", flat=True)) == {
            document.tenant_id
        }


def test_it_scopes_the_access_helpers_to_the_requests_tenant(rf, cast: Cast) -> None:
    make_document(cast)
    request = rf.get("/")
    request.user, request.tenant = cast.other, cast.globex
    request.membership = cast.globex.memberships.get(user=cast.other)
    assert list(access.documents(request)) == []
