"""Token-window chunking with tiktoken: each chunk knows the first and last page it covers."""

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from docuchat.lib.tokens import encoding
from documents.pdf import Page

PAGE_BREAK = "\n\n"


@dataclass(frozen=True)
class Draft:
    """A chunk before it is embedded and stored."""

    ordinal: int
    text: str
    page_start: int
    page_end: int
    token_count: int


@dataclass
class Tokens:
    ids: list[int]
    page_offsets: list[int]  # index in `ids` where each page in `pages` begins
    pages: list[int]

    def page_at(self, index: int) -> int:
        return self.pages[bisect_right(self.page_offsets, index) - 1]


def tokenize(pages: Iterable[Page]) -> Tokens:
    enc = encoding()
    tokens = Tokens(ids=[], page_offsets=[], pages=[])
    for page in pages:
        if not page.text.strip():
            continue
        tokens.page_offsets.append(len(tokens.ids))
        tokens.pages.append(page.number)
        tokens.ids.extend(enc.encode_ordinary(page.text + PAGE_BREAK))
    return tokens


def chunk_pages(pages: Iterable[Page], size: int | None = None, overlap: int | None = None) -> list[Draft]:
    """Split the pages into windows of `size` tokens that overlap by about `overlap` tokens.

    1. Encode each page (with a paragraph break after it) and remember where each page starts.
    2. Take `size` tokens; unless this is the end, pull the cut back to the start of a word
       (or at least of a character) so that no word, and no UTF-8 character, is split.
    3. Start the next window `overlap` tokens before the cut, snapped the same way.
    4. A chunk's pages are the pages of its first and last token.
    """
    size = size or settings.CHUNK_TOKEN_SIZE
    overlap = settings.CHUNK_OVERLAP if overlap is None else overlap
    tokens = tokenize(pages)
    drafts: list[Draft] = []
    start, total = 0, len(tokens.ids)
    while start < total:
        end = total if start + size >= total else _snap(tokens.ids, start + size, floor=start + size // 2)
        _append(drafts, tokens, start, end)
        if end == total:
            break
        start = max(_snap(tokens.ids, end - overlap, floor=max(start + 1, end - 2 * overlap)), start + 1)
    return drafts


def _append(drafts: list[Draft], tokens: Tokens, start: int, end: int) -> None:
    text = encoding().decode(tokens.ids[start:end]).strip()
    if not text:
        return
    drafts.append(
        Draft(
            ordinal=len(drafts),
            text=text,
            page_start=tokens.page_at(start),
            page_end=tokens.page_at(end - 1),
            token_count=end - start,
        )
    )


def _snap(ids: list[int], cut: int, *, floor: int) -> int:
    """The best cut at or before `cut` (not before `floor`): a word start, else a character start."""
    for index in range(cut, floor - 1, -1):
        if _starts_word(ids[index]):
            return index
    for index in range(cut, floor - 1, -1):
        if _starts_character(ids[index]):
            return index
    return cut


@cache
def _token_bytes(token: int) -> bytes:
    return encoding().decode_single_token_bytes(token)


def _starts_character(token: int) -> bool:
    first = _token_bytes(token)[:1]
    return bool(first) and (first[0] & 0b1100_0000) != 0b1000_0000


def _starts_word(token: int) -> bool:
    return _token_bytes(token)[:1] in (b" ", b"\n", b"\t")
