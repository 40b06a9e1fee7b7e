"""POST /v1/files: the upload page's checks and messages, in the workspace named by X-Tenant-ID."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import stored_files
from legacy.tests.v1 import api
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db


def upload(client: Client, data: bytes, name: str = "manual.pdf", **fields: str):
    body = {"file": SimpleUploadedFile(name, data, content_type="application/pdf"), **fields}
    return client.post("/v1/files", body)


def test_it_stores_a_pdf_with_its_title_and_queues_it(cast: Cast, media: Path) -> None:
    response = upload(api(cast.member), pdfs.text_pdf(2), title="Pump manual, 2nd edition")

    assert response.status_code == 202
    body = response.json()
    document = Document.objects.get()
    assert body["id"] == str(document.public_id)
    assert (body["title"], body["status"], body["pages"]) == ("Pump manual, 2nd edition", "queued", 2)
    assert (document.tenant, document.uploaded_by, document.title) == (
        cast.acme, cast.member, "Pump manual, 2nd edition"
    )  # fmt: skip
    assert len(stored_files(media)) == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOCUMENT_UPLOADED, actor=cast.member).exists()


def test_it_names_the_document_after_its_file_without_a_title(cast: Cast) -> None:
    response = upload(api(cast.member), pdfs.text_pdf(1), name="pump_manual.pdf")
    assert response.json()["title"] == "pump manual"


def test_it_accepts_the_workspace_by_its_numeric_id(cast: Cast) -> None:
    response = upload(api(cast.member, tenant=str(cast.acme.pk)), pdfs.text_pdf(1))
    assert response.status_code == 202
    assert Document.objects.get().tenant == cast.acme


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pdfs.not_a_pdf(), "This file is not a PDF (its content does not start like one)."),
        (b"", "This file is empty (0 bytes). Choose the PDF again, or check that it was saved."),
        (pdfs.truncated_pdf(), "This PDF is incomplete (it stops before its end); it was probably cut off."),
        (pdfs.encrypted_pdf(), "This PDF is password-protected. Remove the password and upload it again."),
    ],
    ids=["not-a-pdf", "empty", "truncated", "encrypted"],
)
def test_it_refuses_bad_files_with_the_upload_pages_message_and_stores_nothing(
    cast: Cast, media: Path, data: bytes, message: str
) -> None:
    response = upload(api(cast.member), data)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_file", "message": message, "detail": message}
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_a_file_over_the_size_limit_as_it_streams_in(cast: Cast, media: Path, settings) -> None:
    settings.MAX_FILE_SIZE_MB = 1
    response = upload(api(cast.member), pdfs.text_pdf(1) + b"%" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["message"] == "This file is larger than the 1 MB limit."
    assert not Document.objects.exists() and stored_files(media) == []


def test_it_refuses_too_many_pages(cast: Cast, settings) -> None:
    settings.MAX_PDF_PAGES = 3
    response = upload(api(cast.member), pdfs.too_many_pages_pdf(4))
    assert response.status_code == 400
    assert response.json()["message"] == "This PDF has 4 pages; the limit is 3."


def test_it_says_the_workspace_already_has_the_file(cast: Cast) -> None:
    first = upload(api(cast.member), pdfs.text_pdf(1), title="First").json()
    response = upload(api(cast.owner), pdfs.text_pdf(1), title="Again")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate"
    assert body["message"] == "This workspace already has this file, as “First”."
    assert body["file"]["id"] == first["id"]
    assert Document.objects.count() == 1


def test_it_asks_for_the_file_and_checks_the_title(cast: Cast) -> None:
    response = api(cast.member).post("/v1/files", {"title": "No file"})
    assert response.status_code == 400
    assert response.json()["message"] == "Choose a PDF to upload, as the multipart field “file”."
    response = upload(api(cast.member), pdfs.text_pdf(1), title="x" * 256)
    assert (response.status_code, response.json()["message"]) == (400, "title: at most 255 characters.")
    assert not Document.objects.exists()


def test_it_answers_another_workspace_as_a_missing_one(cast: Cast) -> None:
    other = upload(api(cast.member, tenant="globex"), pdfs.text_pdf(1))
    by_id = upload(api(cast.member, tenant=str(cast.globex.pk)), pdfs.text_pdf(1))
    missing = upload(api(cast.member, tenant="no-such-workspace"), pdfs.text_pdf(1))
    outsider = upload(api(cast.outsider, tenant="acme"), pdfs.text_pdf(1))
    for response in (other, by_id, missing, outsider):
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "message": "No such workspace.",
            "detail": "No such workspace.",
        }
    assert not Document.objects.exists()


def test_it_needs_the_workspace_header_and_a_token(cast: Cast) -> None:
    response = upload(api(cast.member, tenant=None), pdfs.text_pdf(1))
    assert response.status_code == 422
    assert response.json()["message"] == "X-Tenant-ID header: Field required"
    assert upload(api(None), pdfs.text_pdf(1)).status_code == 401
    assert not Document.objects.exists()


def test_it_shows_a_files_status_to_its_workspace_only(cast: Cast) -> None:
    file_id = upload(api(cast.member), pdfs.text_pdf(1)).json()["id"]

    response = api(cast.owner).get(f"/v1/files/{file_id}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (file_id, "queued")

    assert api(cast.other, tenant="globex").get(f"/v1/files/{file_id}").json()["message"] == "No such file."
    assert (
        api(cast.other, tenant="acme").get(f"/v1/files/{file_id}").json()["message"] == "No such workspace."
    )
    assert api(cast.owner).get("/v1/files/not-a-uuid").status_code == 422


def test_it_takes_a_pdf_sized_body_on_the_upload_route_only(settings) -> None:
    from docuchat.lib.body_limit import route_limit

    assert route_limit("/v1/files") == settings.MAX_UPLOAD_REQUEST_MB * 1024 * 1024
    assert route_limit("/v1/auth/request-code") == settings.MAX_REQUEST_BODY_KB * 1024
    assert (
        route_limit("/v1/files/7c1e0000-0000-4000-8000-000000000000") == settings.MAX_REQUEST_BODY_KB * 1024
    )
