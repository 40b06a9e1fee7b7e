"""Token-window chunking with tiktoken: each chunk knows its pages, and where in its text each begins."""

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from docuchat.lib.tokens import encoding
from documents.pdf import Page

PAGE_BREAK = "\n\n"
# A line of a contents, index or list-of-figures page: words, then a page number (or a list of
# them) at its end; and such a page's heading.
ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
LISTING_LINE = re.compile(
    rf"^.*?[^\W\d_].*?[\s,.:](?:\d{{1,4}}|{ROMAN}|{ROMAN.upper()})(?:\s*[,\u2013-]\s*\d{{1,4}})*\s*$"
)
# What such a line ends with: LISTING_LINE is tried only on lines that end so (its two lazy stars
# make it slow to fail on every line of body text).
LISTING_TAIL = re.compile(rf"[\s,.:](?:\d{{1,4}}|{ROMAN}|{ROMAN.upper()})(?:\s*[,\u2013-]\s*\d{{1,4}})*\s*$")
LISTING_HEADING = re.compile(
    r"^\s*(table of contents|contents|index|list of (figures|tables|examples)"
    r"|содержание|оглавление|فهرست|فهرست مطالب)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Draft:
    """A chunk before it is embedded and stored."""

    ordinal: int
    text: str
    page_start: int
    page_end: int
    token_count: int
    # (character offset in `text`, page) where each page after the first begins: a passage's page
    # is the last break at or before it (documents.models.page_at).
    page_breaks: tuple[tuple[int, int], ...] = ()
    contents: bool = False  # it looks like a contents, index or list-of-figures page (is_listing)


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
    raw = encoding().decode(tokens.ids[start:end])
    text = raw.strip()
    if not text:
        return
    drafts.append(
        Draft(
            ordinal=len(drafts),
            text=text,
            page_start=tokens.page_at(start),
            page_end=tokens.page_at(end - 1),
            token_count=end - start,
            page_breaks=_breaks(tokens, start, end, lead=len(raw) - len(raw.lstrip())),
            contents=is_listing(text),
        )
    )


def _breaks(tokens: Tokens, start: int, end: int, *, lead: int) -> tuple[tuple[int, int], ...]:
    """Where each page that begins inside tokens[start:end] begins in the chunk's (stripped) text.

    Pages were encoded one by one, so a page's first token starts exactly at its first character.
    """
    breaks = []
    index = bisect_right(tokens.page_offsets, start)
    while index < len(tokens.page_offsets) and tokens.page_offsets[index] < end:
        at = len(encoding().decode(tokens.ids[start : tokens.page_offsets[index]])) - lead
        breaks.append((max(at, 0), tokens.pages[index]))
        index += 1
    return tuple(breaks)


def is_listing(text: str) -> bool:
    """Whether the text reads as a contents, index or list-of-figures page rather than body text.

    Such a page names every topic of the book, so it matches nearly any question, but answers none:
    retrieval ranks it below body text (chat/retrieval.py). Most of its lines end with a page
    number; with a "Contents" or "Index" heading, fewer need to.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 5:
        return False
    listed = sum(1 for line in lines if listed_line(line.strip()))
    return listed / len(lines) >= (0.3 if LISTING_HEADING.search(text) else 0.5)


def listed_line(line: str) -> bool:
    """Whether the (stripped) line reads as a line of a contents or index page: LISTING_LINE."""
    return LISTING_TAIL.search(line) is not None and LISTING_LINE.match(line) is not None


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
