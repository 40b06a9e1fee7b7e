"""In real Chromium: upload a manual, add test questions on the Evaluation page, run them, and see
the scores arrive (the run is a background task on the worker; the page polls for it)."""

import pytest
from django.test import Client

from docuchat.testing import LiveApp, make_cast
from documents.models import Document
from documents.tests import pdfs

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, app: LiveApp, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}]
    )


def add_question(page, text: str, document: str, pages: str) -> None:
    page.fill("#id_question", text)
    page.select_option("#id_document", label=document)
    page.fill("#id_pages", pages)
    page.click("#eval-add button[type=submit]")
    page.wait_for_selector("text=Question added.")


def test_it_adds_questions_runs_them_and_shows_the_scores(page, live_app_with_worker: LiveApp) -> None:
    app = live_app_with_worker
    sign_in(page, app, make_cast().owner)
    page.goto(f"{app.url}/t/acme/documents/")
    page.set_input_files("input[name=files]", files=[
        {"name": "Pump manual.pdf", "mimeType": "application/pdf", "buffer": pdfs.text_pdf(4)},
    ])  # fmt: skip
    page.wait_for_selector("text=Pump manual.pdf: uploaded, queued for indexing.")
    document = Document.objects.get()
    page.wait_for_selector(f"#doc-{document.public_id}-status[data-status=ready]", timeout=60_000)

    page.click("nav.nav >> text=Evaluation")
    page.wait_for_selector("text=No questions yet.")
    assert page.locator("#run-evaluation").is_disabled()
    add_question(page, f"Where is {pdfs.marker(3)} mentioned?", "Pump manual", "3")
    add_question(page, f"Which page says {pdfs.marker(2)}?", "Pump manual", "2")
    assert page.locator("#eval-questions tbody tr").count() == 2

    page.click("#run-evaluation")
    page.wait_for_url("**/evaluation/runs/*/")
    page.wait_for_selector("#score-hit1", timeout=60_000)  # polled in while the worker runs it
    assert page.inner_text("#score-hit1") == "1.00"
    assert page.inner_text("#score-hitk") == "1.00"
    assert page.inner_text("#score-mrr") == "1.00"
    assert page.locator("#eval-results tbody tr").count() == 2
    assert "Pump manual, p. 3" in page.inner_text("#eval-results")

    page.goto(f"{app.url}/t/acme/documents/")
    assert "hit@1 1.00" in page.inner_text("#eval-panel")
    page.click("#eval-panel >> text=Latest result")
    page.wait_for_selector("#score-hit1")
