"""Retrieval finds the answer, not the index of the book, and cites the page the passage is on."""

import pytest

from chat.generation import extractive_answer
from chat.retrieval import keep_confident, search
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Chunk

pytestmark = pytest.mark.django_db


def test_it_matches_other_forms_of_a_word_by_its_stem(cast: Cast) -> None:
    make_document(
        cast.acme, "Guide", ["Installation: run the installer from the disc.", "Colours of the logo."]
    )
    hits = search(cast.acme, "installing")
    assert hits and hits[0].page_start == 1


def test_it_ranks_a_contents_page_below_the_body_page_that_answers(cast: Cast) -> None:
    contents = "Contents\nRefund policy 2\nTravel expenses 3\nHolidays 4\nPayroll 5\nSick leave 6"
    body = "Refund policy: customers may return any product within 30 days for a full refund."
    document = make_document(cast.acme, "Handbook", [contents, body])
    Chunk.objects.filter(document=document, ordinal=0).update(contents=True)  # as ingestion marks it
    hits = search(cast.acme, "refund policy")
    assert [h.page_start for h in hits] == [2, 1]
    assert search(cast.globex, "refund policy") == []  # another workspace sees none of it


def test_it_cites_the_page_the_passage_is_on_not_the_first_of_its_chunk(cast: Cast) -> None:
    text = "Welcome to the guide. It explains the product.\n\nThe warranty lasts two years from purchase."
    document = make_document(cast.acme, "Guide", [text])
    Chunk.objects.filter(document=document).update(page_end=2, page_breaks=[[text.index("The warranty"), 2]])
    (hit,) = search(cast.acme, "How long is the warranty?")
    assert (hit.page_start, hit.page) == (1, 2)
    assert hit.passage.startswith("The warranty lasts two years")


def test_it_keeps_a_confident_semantic_hit_that_fusion_would_drop() -> None:
    fused = [(n, 1 / (60 + n)) for n in range(1, 10)]
    kept = keep_confident(fused, [(9, 0.1), (1, 0.5)], k=3)
    assert [cid for cid, _ in kept[:3]] == [1, 2, 9]
    assert keep_confident(fused, [(9, 0.6)], k=3) == fused  # not confident: fusion decides


def test_the_offline_answer_quotes_document_text_exactly(cast: Cast) -> None:
    make_document(
        cast.acme, "Console", ["Run check.sh to test it. It prints [1] FALSE when _MY_ENV_VAR_ is unset."]
    )
    hits = search(cast.acme, "What does check.sh print when the variable is unset?")
    answer = extractive_answer("What does check.sh print?", hits)
    assert r"\[1\] FALSE" in answer and r"\_MY\_ENV\_VAR\_" in answer and answer.endswith("[1]")
