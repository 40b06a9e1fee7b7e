from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from api.tests.conftest import KeyClient, MakeKey
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/documents"


@pytest.fixture(autouse=True)
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "ocr"]}
    }
    return settings.MEDIA_ROOT


def pdf(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def writer(cast: Cast, make_key: MakeKey) -> KeyClient:
    return KeyClient(make_key(cast.acme, ["documents:read", "documents:write"]))


def test_it_accepts_a_pdf_with_202_and_queues_it(writer: KeyClient, cast: Cast) -> None:
    response = writer.post(URL, {"file": pdf("Field manual.pdf", pdfs.text_pdf(2)), "title": "The manual"})
    assert response.status_code == 202, response.content
    body = response.json()
    document = Document.objects.get()
    assert body["id"] == str(document.public_id) and document.tenant == cast.acme
    assert body["title"] == "The manual" and body["status"] == "queued" and body["pages"] == 2
    assert set(body) == {"id", "title", "status", "pages", "chunks", "error", "created"}


def test_it_titles_a_document_after_its_file_without_a_title(writer: KeyClient) -> None:
    assert (
        writer.post(URL, {"file": pdf("field_manual.pdf", pdfs.text_pdf(1))}).json()["title"]
        == "field manual"
    )


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty_file", "This file is empty (0 bytes)."),
        (pdfs.not_a_pdf(), "not_pdf", "This file is not a PDF"),
        (pdfs.truncated_pdf(), "incomplete_pdf", "This PDF is incomplete"),
        (pdfs.encrypted_pdf(), "encrypted_pdf", "This PDF is password-protected."),
    ],
)
def test_it_refuses_what_the_upload_page_refuses_with_a_stable_code(
    writer: KeyClient, data: bytes, code: str, message: str
) -> None:
    response = writer.post(URL, {"file": pdf("x.pdf", data)})
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"].startswith(message)
    assert not Document.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_as_it_streams(
    writer: KeyClient, settings: SettingsWrapper
) -> None:
    settings.MAX_FILE_SIZE_MB = 1
    big = pdfs.text_pdf(1) + b"%" * (1024 * 1024)
    response = writer.post(URL, {"file": pdf("big.pdf", big)})
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "message": "This file is larger than the 1 MB limit."}
    assert not Document.objects.exists()


def test_it_answers_409_for_a_file_the_workspace_has(writer: KeyClient) -> None:
    data = pdfs.text_pdf(1)
    first = writer.post(URL, {"file": pdf("a.pdf", data)}).json()
    again = writer.post(URL, {"file": pdf("b.pdf", data)})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert first["id"] in again.json()["message"]


def test_it_asks_for_the_file_field(writer: KeyClient) -> None:
    response = writer.post(URL, {"title": "no file"})
    assert response.status_code == 400 and response.json()["code"] == "file_required"


def test_it_lists_documents_newest_first_a_page_at_a_time(cast: Cast, make_key: MakeKey) -> None:
    for i in range(3):
        make_document(cast.acme, f"Doc {i}", [f"page of doc {i}"])
    make_document(cast.globex, "Secret", ["globex only"])
    client = KeyClient(make_key(cast.acme, ["documents:read"]))
    first = client.get(URL, {"page_size": 2}).json()
    assert first["count"] == 3 and first["pages"] == 2
    assert [d["title"] for d in first["items"]] == ["Doc 2", "Doc 1"]
    assert [d["title"] for d in client.get(URL, {"page_size": 2, "page": 2}).json()["items"]] == ["Doc 0"]
    assert client.get(URL, {"page": 0}).status_code == 422


def test_it_reads_and_deletes_a_document(cast: Cast, writer: KeyClient) -> None:
    document = make_document(cast.acme, "Handbook", ["one", "two"])
    body = writer.get(f"{URL}/{document.public_id}").json()
    assert (
        body["title"] == "Handbook"
        and body["pages"] == 2
        and body["chunks"] == 2
        and body["status"] == "ready"
    )
    assert writer.delete(f"{URL}/{document.public_id}").status_code == 204
    assert not Document.objects.exists()
    assert writer.get(f"{URL}/{document.public_id}").status_code == 404


def test_it_answers_404_for_another_workspaces_document(cast: Cast, make_key: MakeKey) -> None:
    theirs = make_document(cast.globex, "Globex plan", ["secret"])
    client = KeyClient(make_key(cast.acme))
    for method in (client.get, client.delete):
        response = method(f"{URL}/{theirs.public_id}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"{URL}/not-a-uuid").status_code == 404
    assert Document.objects.filter(pk=theirs.pk).exists()
    assert client.get(URL).json()["count"] == 0


def test_a_key_limited_to_an_assistant_sees_only_its_documents(cast: Cast, make_key: MakeKey) -> None:
    from assistants.models import Assistant

    mine, other = make_document(cast.acme, "Mine", ["a"]), make_document(cast.acme, "Other", ["b"])
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support", all_documents=False)
    assistant.documents.set([mine])
    client = KeyClient(make_key(cast.acme, ["documents:read"], assistant=assistant))
    assert [d["title"] for d in client.get(URL).json()["items"]] == ["Mine"]
    assert client.get(f"{URL}/{other.public_id}").status_code == 404


def test_it_meters_the_embedding_of_an_uploaded_document_to_the_key(writer: KeyClient, cast: Cast) -> None:
    from api.models import ApiKey
    from documents import pipeline
    from usage.models import UsageRecord

    writer.post(URL, {"file": pdf("manual.pdf", pdfs.text_pdf(2))})
    document = Document.objects.get()
    key = ApiKey.objects.get()
    assert document.queued_by_key == document.uploaded_by_key == key and document.uploaded_by is None
    assert AuditEntry.objects.get(action="document.uploaded").details["api_key"] == key.prefix
    owner = Client()
    owner.force_login(cast.owner)
    assert "with the API key Test key" in owner.get(f"/t/acme/documents/{document.public_id}/").text
    pipeline.ingest(document.pk)
    record = UsageRecord.objects.get(kind="document_embedding")
    assert record.api_key == document.queued_by_key and record.document == document and record.user is None
    assert record.prompt_tokens > 0 and record.tenant == cast.acme


def test_it_meters_a_retry_to_the_key_that_sent_the_file_again(cast: Cast, make_key: MakeKey) -> None:
    from documents import pipeline
    from usage.models import UsageRecord

    data = pdfs.text_pdf(2)
    first = KeyClient(make_key(cast.acme, ["documents:write"]))
    first.post(URL, {"file": pdf("manual.pdf", data)})
    Document.objects.update(status=Document.Status.FAILED)
    second_secret = make_key(cast.acme, ["documents:write"])
    response = KeyClient(second_secret).post(URL, {"file": pdf("manual.pdf", data)})
    assert response.status_code == 202, response.content
    document = Document.objects.get()
    pipeline.ingest(document.pk)
    record = UsageRecord.objects.get(kind="document_embedding")
    assert record.api_key is not None and record.api_key.prefix == second_secret[:12]


def test_an_upload_waits_for_the_keys_monthly_budget_and_resumes_when_it_is_raised(
    writer: KeyClient, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    from api.models import ApiKey
    from documents import pipeline
    from usage.models import UsageRecord

    ApiKey.objects.update(monthly_tokens=5)
    writer.post(URL, {"file": pdf("manual.pdf", pdfs.text_pdf(3))})
    document = Document.objects.get()
    pipeline.ingest(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED and "API key's monthly budget" in document.error
    assert not UsageRecord.objects.exists()  # nothing paid for
    from django.tasks import task_backends

    from api import keys

    with django_capture_on_commit_callbacks(execute=True):
        keys.change(ApiKey.objects.get(), cast.owner, monthly_tokens=1_000_000)
    assert document.pk in [
        r.args[0] for r in task_backends["default"].results if r.task.name == "ingest_document"
    ]
    assert pipeline.ingest(document.pk).status == Document.Status.READY
    assert UsageRecord.objects.get().api_key == ApiKey.objects.get()
