"""In Chromium: upload a scanned PDF, watch OCR read it page by page, then ask the chat about it
and get its words cited to the right page, marked as read by OCR."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from docuchat.testing import LiveApp, make_cast, start_live_app, stop_live_app
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import live_env
from documents.tests.test_browser_upload import open_documents, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
FILLER = "The warehouse team packs every box with care. " * 3
PAGES = [
    f"Acme warranty terms. {FILLER}Every pump carries a warranty of two years from delivery. {FILLER}",
    f"Refund policy. {FILLER}Customers may return any product within thirty days for a full refund. {FILLER}",
    f"Shipping. {FILLER}Orders leave the warehouse within two working days. {FILLER}",
]


@pytest.fixture
def app(transactional_db: None, tmp_path: Path) -> Iterator[LiveApp]:
    env = live_env(tmp_path, CHUNK_TOKEN_SIZE="24", CHUNK_OVERLAP="0")  # chunks well inside each page
    app = start_live_app(tmp_path, worker=True, extra_env=env)
    yield app
    stop_live_app(app)


def test_it_reads_an_uploaded_scan_by_ocr_and_the_chat_cites_its_page(page, app: LiveApp) -> None:
    cast = make_cast()
    sign_in(page, app, cast.member)
    open_documents(page, app)
    scan = pdfs.rasterize(pdfs.build(PAGES))  # pictures of the pages, at 150 dpi
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "Signed terms.pdf", "mimeType": "application/pdf", "buffer": scan}],
    )
    # Choosing the file uploads it.
    page.wait_for_selector("text=Signed terms.pdf: uploaded, queued for indexing.")
    document = Document.objects.get()
    status = f"#doc-{document.public_id}-status"
    page.wait_for_selector(f"{status}:has-text('of 3 (OCR)')", timeout=120_000)  # live, page by page
    page.wait_for_selector(f"{status}[data-status=ready]", timeout=240_000)

    page.goto(f"{app.url}/t/acme/chat/")
    page.fill("#chat-input", "Within how many days may customers return a product?")
    page.keyboard.press("Enter")
    page.locator(".sources li").first.wait_for(timeout=30_000)
    cited = page.locator(".sources li", has_text="thirty days").first  # the passage with the answer
    assert "Signed terms" in cited.inner_text() and "page 2" in cited.inner_text()
    assert "read by OCR" in cited.inner_text()
    assert cited.locator("a.source-link").get_attribute("href").endswith("#page=2")
