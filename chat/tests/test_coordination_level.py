"""The full-text half ranks a chunk with more of the question's words above one that repeats one of them."""

import pytest

from chat.retrieval import index, informative_parts, ranked_chunks
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Chunk

pytestmark = pytest.mark.django_db

PAGES = [
    "The zebra crossing. A zebra, another zebra and a third zebra; zebra after zebra, all zebra.",
    "Harbour lanterns: the zebra lantern lights the harbour at night.",
]


def text_ranking(cast: Cast, question: str) -> list[int]:
    store = index.current(cast.acme).store
    _, matched = ranked_chunks(store, cast.acme, None, question, 24)
    pages = dict(Chunk.objects.filter(tenant=cast.acme).values_list("id", "page_start"))
    return [pages[cid] for cid in matched]


def test_it_ranks_the_chunk_with_most_of_the_question_words_first(cast: Cast) -> None:
    make_document(cast.acme, "Signs", PAGES)
    assert text_ranking(cast, "zebra lantern harbour") == [2, 1]
    assert text_ranking(cast, "zebra") == [1, 2]  # one word: the chunk that says it most comes first


def test_it_counts_a_quoted_phrase_as_one_part_and_all_common_words_as_required() -> None:
    assert informative_parts('Where is the "zebra crossing" of the harbours?') == (
        ['"zebra crossing"', "harbours"],
        False,
    )
    assert informative_parts("What is the refund policy?", frozenset({"refund", "policy"})) == (
        ["refund", "policy"],
        True,
    )
