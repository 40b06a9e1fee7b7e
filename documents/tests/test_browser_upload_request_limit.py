"""In real Chromium: an upload larger than the whole request may be is refused with a message."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from docuchat.testing import LiveApp, make_cast, start_live_app, stop_live_app
from documents.models import Document
from documents.tests.test_browser_upload import open_documents, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_request_app(tmp_path: Path) -> Iterator[LiveApp]:
    env = {"DATA_DIR": str(tmp_path / "data"), "MAX_FILE_SIZE_MB": "1", "MAX_UPLOAD_REQUEST_MB": "2"}
    app = start_live_app(tmp_path, extra_env=env)
    yield app
    stop_live_app(app)


def test_it_says_why_when_several_files_together_are_over_the_request_limit(
    page, small_request_app: LiveApp
) -> None:
    cast = make_cast()
    sign_in(page, small_request_app, cast.owner)
    open_documents(page, small_request_app)
    # Each file is under the 1 MB file limit (the page lets them through); together, 2.7 MB.
    body = b"%PDF-1.4\n" + b"0" * (900 * 1024)
    page.set_input_files(
        "input[name=files]",
        files=[{"name": f"part-{i}.pdf", "mimeType": "application/pdf", "buffer": body} for i in range(3)],
    )  # choosing the files uploads them
    alert = page.wait_for_selector("#doc-notice .alert-error")
    assert alert.inner_text() == (
        "This request is larger than the 2 MB this address accepts. Upload fewer files at once."
    )
    assert not Document.objects.exists()
