import itertools

import pytest
from django.test import override_settings

from docuchat.lib.tokens import count_tokens
from documents.chunking import chunk_pages
from documents.pdf import Page
from documents.tests import pdfs


def pages_of(count: int, words: int = 220) -> list[Page]:
    return [Page(n, pdfs.page_text(n, words)) for n in range(1, count + 1)]


def test_it_cuts_windows_of_at_most_the_chunk_size_with_the_overlap() -> None:
    drafts = chunk_pages(pages_of(6), size=400, overlap=40)
    assert len(drafts) > 3
    assert all(d.token_count <= 400 for d in drafts)
    assert all(d.token_count >= 360 for d in drafts[:-1])  # cuts move back only to a word start
    for before, after in itertools.pairwise(drafts):
        shared = after.text[:60].split(" ", 1)[1][:40]  # a stretch after the first (maybe cut) word
        assert shared in before.text


def test_it_uses_the_settings_by_default() -> None:
    with override_settings(CHUNK_TOKEN_SIZE=100, CHUNK_OVERLAP=10):
        drafts = chunk_pages(pages_of(2))
    assert all(d.token_count <= 100 for d in drafts)
    assert len(drafts) > 4


def test_it_numbers_chunks_and_knows_their_first_and_last_page() -> None:
    drafts = chunk_pages(pages_of(8), size=400, overlap=40)
    assert [d.ordinal for d in drafts] == list(range(len(drafts)))
    for draft in drafts:
        on = [n for n in range(1, 9) if pdfs.marker(n) in draft.text]
        assert all(draft.page_start <= n <= draft.page_end for n in on)
        assert draft.page_start <= draft.page_end
    assert drafts[0].page_start == 1 and drafts[-1].page_end == 8
    assert any(d.page_start < d.page_end for d in drafts)


def test_it_skips_empty_pages_but_keeps_the_numbers_of_the_others() -> None:
    drafts = chunk_pages([Page(1, ""), Page(2, "   "), Page(3, "Only page three has text.")])
    assert [(d.page_start, d.page_end) for d in drafts] == [(3, 3)]


@pytest.mark.parametrize("text", [pdfs.RUSSIAN, pdfs.PERSIAN, "日本語のテキストです。" * 3])
def test_it_never_splits_a_character(text: str) -> None:
    drafts = chunk_pages([Page(1, (text + " ") * 80)], size=50, overlap=5)
    assert len(drafts) > 3
    assert not any("\ufffd" in d.text for d in drafts)


def test_it_counts_tokens_like_the_tokenizer() -> None:
    drafts = chunk_pages(pages_of(3), size=400, overlap=40)
    for draft in drafts:
        assert abs(count_tokens(draft.text) - draft.token_count) <= 3
