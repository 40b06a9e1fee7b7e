"""In real Chromium: upload PDFs and watch them become ready, live, without reloading the page."""

import base64

import pytest
from django.test import Client

from docuchat.testing import LiveApp, make_cast
from documents.models import Document
from documents.tests import pdfs

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before the page's scripts: remembers that the socket opened, and marks this page load.
WATCH = """
window.__pageLoad = Math.random();
document.addEventListener("htmx:wsOpen", () => { window.__wsOpen = true; });
"""


def sign_in(page, app: LiveApp, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}]
    )


def open_documents(page, app: LiveApp) -> object:
    page.add_init_script(WATCH)
    page.goto(f"{app.url}/t/acme/documents/")
    for _ in range(100):  # wait_for_function would need eval, which our CSP forbids
        if page.evaluate("() => window.__wsOpen === true"):
            return page.evaluate("() => window.__pageLoad")
        page.wait_for_timeout(100)
    raise AssertionError("the Documents socket did not open")


def test_it_uploads_a_pdf_and_shows_it_reach_ready_without_a_reload(
    page, live_app_with_worker: LiveApp
) -> None:
    cast = make_cast()
    sign_in(page, live_app_with_worker, cast.owner)
    load = open_documents(page, live_app_with_worker)
    assert "offline embeddings" in page.inner_text(".provider")

    assert page.locator("label.file-button").is_visible()  # the file input is drawn as a button
    page.set_input_files("input[name=files]", files=[
        {"name": "Pump manual.pdf", "mimeType": "application/pdf", "buffer": pdfs.text_pdf(40)},
    ])  # fmt: skip
    # Choosing the file uploads it: no second click.
    page.wait_for_selector("text=Pump manual.pdf: uploaded, queued for indexing.")
    document = Document.objects.get()
    status = f"#doc-{document.public_id}-status"
    page.wait_for_selector(f"{status}[data-status=ready]", timeout=60_000)

    assert page.evaluate("() => window.__pageLoad") == load  # the same page: no reload happened
    document.refresh_from_db()
    assert document.status == Document.Status.READY
    assert page.inner_text(f"#doc-{document.public_id}-chunks") == str(document.chunks_total)
    assert page.inner_text(f"#doc-{document.public_id}-pages") == "40"
    # The "queued" note fades away (after 6 seconds): the row says the state from then on.
    note = page.get_by_text("Pump manual.pdf: uploaded, queued for indexing.")
    note.wait_for(state="hidden", timeout=10_000)
    assert page.locator("#doc-notice .fade-out").evaluate("el => el.getBoundingClientRect().height") == 0


def test_it_takes_dropped_files_refuses_bad_ones_and_deletes(page, live_app_with_worker: LiveApp) -> None:
    cast = make_cast()
    sign_in(page, live_app_with_worker, cast.owner)
    open_documents(page, live_app_with_worker)
    files = {"dropped.pdf": pdfs.text_pdf(2), "fake.pdf": pdfs.not_a_pdf()}
    page.evaluate(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, data] of Object.entries(files)) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name, {type: "application/pdf"}));
            }
            const zone = document.querySelector(".dropzone");
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""",
        {name: base64.b64encode(data).decode() for name, data in files.items()},
    )
    page.wait_for_selector("text=dropped.pdf: uploaded, queued for indexing.")
    assert "fake.pdf: This file is not a PDF" in page.inner_text("#doc-notice")
    document = Document.objects.get()
    row = f"#doc-{document.public_id}"
    page.wait_for_selector(f"{row}-status[data-status=ready]", timeout=60_000)

    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f"{row} button:has-text('Delete')")
    page.wait_for_selector(row, state="detached")
    assert "Deleted dropped." in page.inner_text("#doc-notice")
    assert not Document.objects.exists()
