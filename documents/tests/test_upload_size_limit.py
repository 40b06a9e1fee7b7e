"""Files past MAX_FILE_SIZE_MB are refused while they stream in, never read whole."""

import hashlib
import io
from pathlib import Path

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from docuchat.testing import Cast
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import pdf_upload, stored_files, upload
from documents.uploads import MB, SizeLimitHandler, Streamed

BIG = b"%PDF-1.7\n" + b"x" * (3 * MB) + b"\n%%EOF\n"


class SpyHandler(TemporaryFileUploadHandler):
    """The next handler in the chain: counts the bytes the limit let through."""

    received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        SpyHandler.received += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


@override_settings(MAX_FILE_SIZE_MB=1)
def test_it_stops_reading_a_file_as_soon_as_it_passes_the_limit(tmp_path: Path) -> None:
    small = pdfs.text_pdf(1)  # once: fpdf2 stamps each PDF with the second it was made
    body = encode_multipart(BOUNDARY, {"files": [pdf_upload("big.pdf", BIG), pdf_upload("small.pdf", small)]})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    limit, SpyHandler.received = SizeLimitHandler(), 0
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        _, files = MultiPartParser(meta, io.BytesIO(body), [limit, SpyHandler()]).parse()
    assert limit.too_large == ["big.pdf"]
    assert [f.name for f in files.getlist("files")] == ["small.pdf"]
    # The file that got through was hashed on the way, so it is not read again to check it.
    assert limit.facts_for(files.getlist("files")) == [
        Streamed("small.pdf", len(small), hashlib.sha256(small).hexdigest(), small[:1024], small[-1024:])
    ]
    # Only what came before the limit reached the temporary file, and that file is gone.
    assert SpyHandler.received < 1 * MB + len(small)
    assert [p.name for p in tmp_path.iterdir()] == [files["files"].file.name.rsplit("/", 1)[1]]


@override_settings(MAX_FILE_SIZE_MB=1, FILE_UPLOAD_MAX_MEMORY_SIZE=64 * 1024)
def test_it_refuses_a_too_large_file_and_keeps_the_others(
    client: Client, cast: Cast, media: Path, tmp_path: Path, settings
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    client.force_login(cast.owner)
    html = upload(client, pdf_upload("big.pdf", BIG), pdf_upload("small.pdf", pdfs.text_pdf(1)))
    assert "<strong>big.pdf</strong>: This file is larger than the 1 MB limit." in html
    assert "<strong>small.pdf</strong>: uploaded" in html
    assert list(Document.objects.values_list("title", flat=True)) == ["small"]
    assert len(stored_files(media)) == 1
    assert list((tmp_path / "uploads").iterdir()) == []  # no temporary file left behind


def test_it_tells_the_browser_the_limit_so_it_can_check_before_sending(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    html = client.get("/t/acme/documents/").content.decode()
    assert f'data-max-bytes="{25 * MB}"' in html and 'data-max-mb="25"' in html
