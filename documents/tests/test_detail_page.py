from django.test import Client

from docuchat.testing import Cast
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document


def test_it_shows_the_metadata_and_the_first_chunks_with_their_pages(client: Client, cast: Cast) -> None:
    document = ingest_now(make_document(cast, pdfs.text_pdf(6), name="Turbine manual.pdf"))
    client.force_login(cast.member)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert '<h1 dir="auto">Turbine manual</h1>' in html
    assert document.sha256 in html and "offline-wordllama-v1" in html and "owner@acme.test" in html
    assert html.count('class="card chunk"') == 5
    assert "#1 · pages 1\u20132" in html and "pagemarker0001" in html
    assert f'id="doc-{document.public_id}-status"' in html  # live updates reach this page too


def test_it_offers_changes_only_to_who_may_make_them(client: Client, cast: Cast) -> None:
    document = make_document(cast)  # uploaded by the owner
    client.force_login(cast.member)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert "Open PDF" in html and "Re-index" not in html and "Delete" not in html
    client.force_login(cast.owner)
    html = client.get(f"/t/acme/documents/{document.public_id}/").content.decode()
    assert "Re-index" in html and "Delete" in html


def test_it_serves_the_pdf_itself(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(1)
    document = make_document(cast, data, name="a.pdf")
    client.force_login(cast.member)
    response = client.get(f"/t/acme/documents/{document.public_id}/file/")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == data
    assert 'filename="a.pdf"' in response["Content-Disposition"]


def test_it_gives_404_for_an_unknown_document(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    assert client.get("/t/acme/documents/00000000-0000-0000-0000-000000000000/").status_code == 404
