"""Every door labels and opens the page of the cited passage, not the first page of its chunk."""

import pytest
from django.test import Client, RequestFactory

from api.routes.chat import source_out
from chat.models import Message, Source
from chat.tests.factories import make_document, pdf_bytes
from docuchat.testing import Cast
from legacy.consumers import _sources
from widget.present import sources
from widget.tests.helpers import SITE, live

pytestmark = pytest.mark.django_db


def source(document: str, **pages: int) -> Source:
    return {"n": 1, "chunk": 1, "document": document, "title": "Guide", "snippet": "Refunds take 30 days.",
            **pages}  # type: ignore[typeddict-item]  # fmt: skip


def test_it_labels_and_opens_the_cited_page_in_the_widget(cast: Cast, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    guide = make_document(cast.acme, "Guide", ["One.", "Two.", "Refunds take 30 days."],
                          pdf=pdf_bytes(["One.", "Two.", "Refunds take 30 days."]))  # fmt: skip
    assistant = live(cast.acme, visitors_open_pages=True)
    answer = Message(sources=[source(str(guide.public_id), page_start=2, page_end=3, page=3)])

    (shown,) = sources(assistant, SITE, answer)

    assert shown["pages"] == "page 3" and shown["url"].endswith("#page=2")  # the extract's 2nd: page 3
    assert Client().get(shown["url"].split("#")[0]).status_code == 200


def test_it_falls_back_to_the_first_page_for_answers_saved_before_exact_pages(cast: Cast) -> None:
    assistant = live(cast.acme, visitors_open_pages=True)
    old = Message(sources=[source("7c1e", page_start=4, page_end=5)])
    wrong = Message(sources=[source("7c1e", page_start=4, page_end=5, page=9)])

    assert [sources(assistant, SITE, m)[0]["pages"] for m in (old, wrong)] == ["page 4", "page 4"]
    assert sources(assistant, SITE, old)[0]["url"].endswith("#page=1")


def test_it_gives_the_cited_page_to_the_rest_api_and_the_v1_api() -> None:
    document = "7c1e0000-0000-4000-8000-000000000000"
    cited = source(document, page_start=2, page_end=3, page=3)
    request = RequestFactory().get("/api/v1/chat")

    out = source_out(request, "acme", cited)

    assert out["page"] == 3 and out["url"].endswith(f"/t/acme/documents/{document}/file/#page=3")
    assert _sources(Message(sources=[cited]))[0]["page"] == 3
