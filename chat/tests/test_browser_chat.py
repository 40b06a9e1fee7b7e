"""In Chromium: ask about an uploaded PDF, watch the answer stream, then its citations; open one."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.models import Message
from chat.tests.factories import pdf_bytes
from chat.tests.fake_llm import FakeLLM, Reply
from docuchat.testing import Cast, make_cast, start_live_app, stop_live_app
from documents import pipeline, uploads
from documents.models import Document

FILLER = " ".join(f"The warehouse team packs box number {i} with care." for i in range(12))
PAGES = [
    "Acme Customer Handbook. This handbook explains how Acme serves its customers. " + FILLER,
    f"{FILLER} Refund policy: customers may return any product within 30 days for a full refund. {FILLER}",
    "Shipping. Orders leave the warehouse within two working days. " + FILLER,
]
ANSWER = [
    "Customers ", "may ", "return ", "any ", "product ", "within ", "**30 days** ", "for ", "a ", "full ",
    "refund ", "[1].",
]  # fmt: skip


@pytest.fixture
def fake_llm(settings) -> FakeLLM:
    fake = FakeLLM(default=Reply(tokens=ANSWER, delay=0.15)).start()
    settings.OPENAI_API_KEY = f"sk-test-{fake.port}"
    settings.OPENAI_BASE_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def handbook(transactional_db: None, fake_llm: FakeLLM, settings, tmp_path: Path) -> Cast:
    """The PDF uploaded and ingested by the real pipeline (before the browser's event loop starts)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHUNK_TOKEN_SIZE, settings.CHUNK_OVERLAP = 60, 0  # chunks well inside each page
    cast = make_cast()
    upload = SimpleUploadedFile("Customer handbook.pdf", pdf_bytes(PAGES), content_type="application/pdf")
    outcome = uploads.accept(cast.acme, cast.member, upload, enqueue=False)
    assert outcome.ok, outcome.error
    assert pipeline.ingest(outcome.document.id).status == Document.Status.READY
    return cast


def test_it_streams_an_answer_about_an_uploaded_pdf_with_citations_that_open_it(
    handbook: Cast, page, fake_llm: FakeLLM, settings, tmp_path: Path
) -> None:
    app = start_live_app(
        tmp_path,
        extra_env={
            "OPENAI_API_KEY": settings.OPENAI_API_KEY,
            "OPENAI_BASE_URL": fake_llm.url,
            "DATA_DIR": str(tmp_path),
        },
    )
    try:
        browser_flow(page, app.url, handbook)
    finally:
        stop_live_app(app)


def browser_flow(page, url: str, cast) -> None:
    client = Client()
    client.force_login(cast.member)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}])
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{url}/t/acme/chat/")
    page.fill("#chat-input", "What is the refund policy?")
    page.keyboard.press("Enter")

    page.locator(".msg-user", has_text="What is the refund policy?").wait_for()
    streaming = page.locator(".msg-body.streaming")
    streaming.filter(has_text="Customers may return").wait_for()  # tokens arrive one by one...
    assert page.locator(".sources").count() == 0  # ...before the citations
    page.get_by_role("button", name="Stop").wait_for()

    sources = page.locator(".sources li")
    sources.first.wait_for()  # the answer is finished and rendered
    assert page.locator(".msg-body.streaming").count() == 0
    assert page.locator(".answer strong").inner_text() == "30 days"
    assert "Customer handbook" in sources.first.inner_text() and "page 2" in sources.first.inner_text()
    page.get_by_role("button", name="Send").wait_for()
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    assert page.url.endswith(f"/t/acme/chat/{answer.session.public_id}/")  # the address follows

    page.get_by_role("button", name="Helpful", exact=True).click()
    page.locator('.feedback [aria-pressed="true"]', has_text="Helpful").wait_for()

    link = sources.first.locator("a.source-link")
    href = link.get_attribute("href")
    assert href.endswith("#page=2")
    with page.expect_popup() as popup:
        link.click()
    assert popup.value.url.endswith("#page=2")
    pdf = page.request.get(f"{url}{href}")
    assert (
        pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    )
    assert not problems, problems
    answer.refresh_from_db()
    assert answer.feedback == "up" and answer.status == Message.Status.COMPLETE
