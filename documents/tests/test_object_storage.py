"""With an S3 bucket configured, documents live only there: uploads stream to it, the pipeline
reads from it, the file view serves it to the workspace only, and deletions remove the objects.
Against a real S3 HTTP endpoint: moto in server mode, started here."""

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast, S3Server, start_s3, stop_processes
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, pdf_upload, stored_files, upload
from tenants.deletion import delete_tenant


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3(tmp_path_factory.mktemp("moto"))
    yield server
    stop_processes([server.process])


@pytest.fixture
def bucket(s3: S3Server, settings: SettingsWrapper) -> Iterator[S3Server]:
    for name, value in s3.settings().items():
        setattr(settings, name, value)
    yield s3
    client = s3.client()
    for key in s3.keys():  # noqa: SIM118 (a method of our own, not a dict's)
        client.delete_object(Bucket=s3.bucket, Key=key)


def uploaded(client: Client, cast: Cast, data: bytes, name: str = "manual.pdf") -> Document:
    client.force_login(cast.owner)
    html = upload(client, pdf_upload(name, data))
    assert "uploaded, queued" in html, html[:500]
    return Document.objects.get(original_name=name)


def test_it_streams_uploads_to_the_bucket_and_keeps_no_local_copy(
    client: Client, cast: Cast, bucket: S3Server, media: Path
) -> None:
    data = pdfs.text_pdf(3)
    document = uploaded(client, cast, data)
    assert bucket.keys() == [document.file.name]
    assert document.file.name == f"tenants/{cast.acme.pk}/documents/{document.public_id}.pdf"
    body = bucket.client().get_object(Bucket=bucket.bucket, Key=document.file.name)["Body"].read()
    assert body == data
    assert stored_files(media) == []


def test_it_indexes_a_document_read_from_the_bucket(client: Client, cast: Cast, bucket: S3Server) -> None:
    document = ingest_now(uploaded(client, cast, pdfs.text_pdf(4)))
    assert document.status == Document.Status.READY, document.error
    assert document.chunks.count() > 0
    assert {c.page_start for c in document.chunks.all()} >= {1}


def test_it_serves_the_file_only_to_the_workspace(client: Client, cast: Cast, bucket: S3Server) -> None:
    data = pdfs.text_pdf(2)
    document = uploaded(client, cast, data)
    url = f"/t/acme/documents/{document.public_id}/file/"
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    client.force_login(cast.other)
    assert client.get(url).status_code == 404
    assert client.get(f"/t/globex/documents/{document.public_id}/file/").status_code == 404


def test_it_can_hand_out_short_lived_signed_urls_instead(
    client: Client, cast: Cast, bucket: S3Server
) -> None:
    data = pdfs.text_pdf(2)
    document = uploaded(client, cast, data, name="signed.pdf")
    url = f"/t/acme/documents/{document.public_id}/file/"
    with override_settings(STORAGE_SIGNED_URLS=True, AWS_QUERYSTRING_EXPIRE=60):
        response = client.get(url)
        assert response.status_code == 302
        signed = response["Location"]
        assert signed.startswith(bucket.endpoint)
        assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed
        with urllib.request.urlopen(signed, timeout=10) as answer:  # noqa: S310 (moto, on loopback)
            assert answer.read() == data
            assert answer.headers["Content-Type"] == "application/pdf"
        unsigned = signed.split("?", 1)[0]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310
        client.force_login(cast.other)
        assert client.get(url).status_code == 404


def test_it_deletes_the_object_with_the_document(
    client: Client, cast: Cast, bucket: S3Server, django_capture_on_commit_callbacks
) -> None:
    keep = uploaded(client, cast, pdfs.text_pdf(1, seed=3), name="keep.pdf")
    gone = uploaded(client, cast, pdfs.text_pdf(2, seed=4), name="gone.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/t/acme/documents/{gone.public_id}/delete/")
    assert response.status_code == 302
    assert bucket.keys() == [keep.file.name]


def test_it_deletes_a_workspaces_objects_with_the_workspace(
    client: Client, cast: Cast, bucket: S3Server, django_capture_on_commit_callbacks
) -> None:
    uploaded(client, cast, pdfs.text_pdf(1, seed=5), name="a.pdf")
    uploaded(client, cast, pdfs.text_pdf(2, seed=6), name="b.pdf")
    client.force_login(cast.other)
    upload(client, pdf_upload("theirs.pdf", pdfs.text_pdf(1, seed=7)), slug="globex")
    theirs = Document.objects.get(tenant=cast.globex)
    # Something else left under the workspace's folder goes too.
    bucket.client().put_object(Bucket=bucket.bucket, Key=f"tenants/{cast.acme.pk}/derived/x.txt", Body=b"x")
    with django_capture_on_commit_callbacks(execute=True):
        delete_tenant(cast.acme, cast.owner)
    assert bucket.keys() == [theirs.file.name]


def test_it_creates_the_bucket_when_it_is_missing(s3: S3Server, settings: SettingsWrapper) -> None:
    for name, value in s3.settings().items():
        setattr(settings, name, value)
    settings.AWS_STORAGE_BUCKET_NAME = "fresh-bucket"
    call_command("ensure_bucket")
    call_command("ensure_bucket")  # and says so, the second time
    names = [b["Name"] for b in s3.client().list_buckets()["Buckets"]]
    assert "fresh-bucket" in names
