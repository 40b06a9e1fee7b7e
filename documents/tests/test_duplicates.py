from pathlib import Path

from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import make_document, pdf_upload, stored_files, upload


def test_it_says_the_workspace_already_has_the_file_and_links_to_it(
    client: Client, cast: Cast, media: Path
) -> None:
    data = pdfs.text_pdf(2)
    first = make_document(cast, data, name="Handbook.pdf")
    client.force_login(cast.member)
    html = upload(client, pdf_upload("handbook-copy.pdf", data))
    url = f"/t/acme/documents/{first.public_id}/"
    assert "<strong>handbook-copy.pdf</strong>: this workspace already has this file, as" in html
    assert f'<a href="{url}">Handbook</a>.' in html
    assert Document.objects.count() == 1 and len(stored_files(media)) == 1


def test_it_links_to_it_without_javascript_too(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(2)
    first = make_document(cast, data, name="Handbook.pdf")
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("again.pdf", data), htmx=False)
    link = f"<a href='/t/acme/documents/{first.public_id}/'>Handbook</a>."
    assert f"again.pdf: this workspace already has this file, as {link}" in html


def test_it_catches_the_same_file_twice_in_one_upload(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    data = pdfs.text_pdf(1)
    html = upload(client, pdf_upload("one.pdf", data), pdf_upload("two.pdf", data))
    assert "<strong>one.pdf</strong>: uploaded" in html
    assert "<strong>two.pdf</strong>: this workspace already has this file" in html
    assert Document.objects.count() == 1


def test_it_lets_another_tenant_have_the_same_file(client: Client, cast: Cast) -> None:
    data = pdfs.text_pdf(2)
    make_document(cast, data)
    client.force_login(cast.other)
    html = upload(client, pdf_upload("theirs.pdf", data), slug="globex")
    assert "uploaded, queued" in html and "already has" not in html
    assert Document.objects.filter(tenant=cast.globex).count() == 1
