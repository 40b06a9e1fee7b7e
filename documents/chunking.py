"""Token-window chunking with tiktoken: each chunk knows its pages, where in its text each begins, and
the section heading in force at its start."""

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

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
    # The section heading in force where the chunk begins (find_headings), without its number; it is
    # prefixed to what is embedded (indexed_text: the vector, its windows), never to `text`.
    heading: str = ""

    @property
    def indexed_text(self) -> str:
        return indexed_text(self.heading, self.text)

    @property
    def indexed_tokens(self) -> int:
        """The tokens of indexed_text, about: the chunk's and its heading's (what an embedder bills)."""
        return self.token_count + heading_tokens(self.heading)


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
    pages = list(pages)
    tokens = tokenize(pages)
    headings = find_headings(pages)
    starts = [(h.page, h.offset) for h in headings]
    drafts: list[Draft] = []
    start, total = 0, len(tokens.ids)
    while start < total:
        end = total if start + size >= total else _snap(tokens.ids, start + size, floor=start + size // 2)
        _append(drafts, tokens, start, end, heading_at(headings, *_position(tokens, start), starts=starts))
        if end == total:
            break
        start = max(_snap(tokens.ids, end - overlap, floor=max(start + 1, end - 2 * overlap)), start + 1)
    return drafts


def _append(drafts: list[Draft], tokens: Tokens, start: int, end: int, heading: str = "") -> None:
    raw = encoding().decode(tokens.ids[start:end])
    text = raw.strip()
    if not text:
        return
    listing = is_listing(text)
    drafts.append(
        Draft(
            ordinal=len(drafts),
            text=text,
            page_start=tokens.page_at(start),
            page_end=tokens.page_at(end - 1),
            token_count=end - start,
            page_breaks=_breaks(tokens, start, end, lead=len(raw) - len(raw.lstrip())),
            contents=listing,
            heading="" if listing else heading,  # a contents page is under no section
        )
    )


def _position(tokens: Tokens, index: int) -> tuple[int, int]:
    """(page, character offset in that page's text) of token `index`."""
    at = bisect_right(tokens.page_offsets, index) - 1
    return tokens.pages[at], len(encoding().decode(tokens.ids[tokens.page_offsets[at] : index]))


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


# Section headings in plain page text (no font information): numbered ("3.2 Installing the server",
# "B.4 Scripting with R"), named ("Chapter 3: Data", "Приложение Б. Ссылки"), ALL-CAPS lines of two
# words or more, and any title-like line that is a paragraph of its own (blank lines around it).
NUMBERED_HEADING = re.compile(
    r"^(?P<number>\d{1,2}(?:\.\d{1,3}){0,4}|[A-Z](?:\.\d{1,3}){1,4})\.?\s+"
    r"(?P<title>(?:[^\W\d_]|[$\\\u2018'\"\u201c\u00ab(]).*)$"  # from a letter, a quote, "$TEXMF", "\\input"
)
NAMED_HEADING = re.compile(
    r"^(?:Chapter|Appendix|Part|Глава|Приложение|Часть|Раздел)\s+(?P<number>\d{1,2}|[A-Z\u0410-\u042f])"
    r"(?:[.:]\s*|\s+)(?P<title>\S.*)$"
)
# A line that ends with a number: a contents line or a running header (its page number), a table row.
ENDS_WITH_NUMBER = re.compile(r"\d$")
HEADING_MAX_CHARS = 100
HEADING_MAX_WORDS = 14
# Not in a heading: code, markup, addresses, and a line that goes on (a comma, a colon).
NOT_HEADING = re.compile(r"[{}=<>|#]|://|[,:;]$|\.{2,}$|(?<!\betc)\.$")
# Lines at the top or bottom of this many pages (digits aside) are running headers or footers.
RUNNING_PAGES = 3


@dataclass(frozen=True)
class Heading:
    page: int
    offset: int  # where its line begins in the page's text
    title: str  # without its number
    number: tuple[int, ...] = ()  # (3, 2) for "3.2"; () when not numbered


def find_headings(pages: Iterable[Page]) -> list[Heading]:
    """The section headings of the pages, in order.

    1. Lines that end with a number are never headings (contents and index lines, and
       running headers such as "Chapter 2: R Basics 4", table rows), nor lines at the top or bottom of
       RUNNING_PAGES pages or more, digits aside (running headers and footers). On a contents or
       index page (is_listing), only the lines after its last listed one count.
    2. A numbered heading counts only when its number follows the last one plausibly (3.1 after
       2.5, 2.6 or 2.5.1 after 2.5; not 1 after 2.5): numbered lists, table rows and footnotes
       rarely do.
    3. A heading is short: at most HEADING_MAX_WORDS words, with no code characters, and it does not
       end with a comma, colon or full stop (a question mark is fine: "How can R be installed?").
    """
    read = []  # each page with text: its lines and the indexes of its first and last ones, split once
    for page in pages:
        if page.text.strip():
            lines = _lines(page.text)
            read.append((page, lines, _edges(lines)))
    running = _running_lines([(lines, edges) for _, lines, edges in read])
    found: list[Heading] = []
    last: tuple[int, ...] = ()
    dotted: bool | None = None  # whether this document writes its chapters "2." or "2"
    for page, lines, edges in read:
        first = 0
        if is_listing(page.text):
            listed = [i for i, (_, line) in enumerate(lines) if listed_line(line)]
            first = listed[-1] + 1 if listed else 0
        for i in range(first, len(lines)):
            offset, line = lines[i]
            if not line or ENDS_WITH_NUMBER.search(line) or (i in edges and _digitless(line) in running):
                continue
            heading = _numbered(line + _continued(lines, i), page.number, offset) or _numbered(
                line, page.number, offset
            )
            if heading is not None:
                style = _dotted(line, heading.number)
                if _follows(last, heading.number) and (style is None or dotted in (None, style)):
                    found.append(heading)
                    last, dotted = heading.number, style if dotted is None else dotted
                continue
            if (_isolated(lines, i) or _all_caps(line)) and _title_like(line) and line[0].isupper():
                found.append(Heading(page.number, offset, line))
    return found


def heading_at(
    headings: list[Heading], page: int, offset: int, *, starts: list[tuple[int, int]] | None = None
) -> str:
    """The title of the last heading at or before (page, offset): the one in force there. `starts`
    are the headings' (page, offset), when the caller has them already."""
    starts = starts if starts is not None else [(h.page, h.offset) for h in headings]
    at = bisect_right(starts, (page, offset))
    return headings[at - 1].title if at else ""


def indexed_text(heading: str, text: str) -> str:
    """What is embedded and full-text indexed for a chunk: its heading, as a sentence, then its text."""
    if not heading:
        return text
    return f"{heading} {text}" if heading[-1] in ".?!" else f"{heading}. {text}"


@lru_cache(maxsize=4096)
def heading_tokens(heading: str) -> int:
    """The tokens a heading adds to its chunk's indexed_text."""
    return len(encoding().encode_ordinary(indexed_text(heading, ""))) if heading else 0


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, stripped line) of each line of `text`; blank lines too, as ''."""
    out, at = [], 0
    for raw in text.split("\n"):
        out.append((at + len(raw) - len(raw.lstrip()), raw.strip()))
        at += len(raw) + 1
    return out


def _edges(lines: list[tuple[int, str]]) -> set[int]:
    """The indexes of the first and the last line that is not blank."""
    filled = [i for i, (_, line) in enumerate(lines) if line]
    return {filled[0], filled[-1]} if filled else set()


def _digitless(line: str) -> str:
    return re.sub(r"\d+", "", line).strip()


def _running_lines(pages: list[tuple[list[tuple[int, str]], set[int]]]) -> set[str]:
    """Lines at the top or bottom of RUNNING_PAGES pages or more, digits removed; `pages` are each
    page's lines and edges (_lines, _edges)."""
    counts: dict[str, int] = {}
    for lines, edges in pages:
        for line in {_digitless(lines[i][1]) for i in edges}:
            counts[line] = counts.get(line, 0) + 1
    return {line for line, n in counts.items() if n >= RUNNING_PAGES}


def _numbered(line: str, page: int, offset: int) -> Heading | None:
    match = NUMBERED_HEADING.match(line) or NAMED_HEADING.match(line)
    if match is None or not _title_like(match["title"]):
        return None
    number = tuple(_component(part) for part in match["number"].split("."))
    if NAMED_HEADING.match(line) is None and len(number) == 1 and not match["title"][0].isupper():
        return None  # "3 apples": a single number needs a capital ("3 Installation")
    return Heading(page, offset, match["title"], number)


def _continued(lines: list[tuple[int, str]], i: int) -> str:
    """The next line, with a space, when it goes on a heading that wrapped: short, from a small letter."""
    after = lines[i + 1][1] if i + 1 < len(lines) else ""
    if after[:1].islower() and len(after) <= 50 and _title_like(after) and not ENDS_WITH_NUMBER.search(after):
        return " " + after
    return ""


def _dotted(line: str, number: tuple[int, ...]) -> bool | None:
    """For a chapter number ("2. Data" or "2 Data"), whether it has a full stop; None for others."""
    if len(number) != 1 or NAMED_HEADING.match(line):
        return None
    return line.split(None, 1)[0].endswith(".")


def _component(part: str) -> int:
    """A heading number's part as an int: letters (appendices) after every number."""
    if part.isdigit():
        return int(part)
    return 100 + ord(part.upper()) - ord("A" if part.isascii() else "\u0410")


def _follows(last: tuple[int, ...], number: tuple[int, ...]) -> bool:
    """Whether a heading numbered `number` can come after one numbered `last` (() for none yet):
    the next at some level (up to 3 on), or a first child, with any deeper parts at most 2."""
    if not last:
        return True
    i = next((n for n, (a, b) in enumerate(zip(last, number, strict=False)) if a != b), None)
    if i is None:  # one is a prefix of the other
        if len(number) <= len(last):
            return False
        i, step = len(last), number[len(last)]
    else:
        step = number[i] - last[i]
        if last[i] < 100 <= number[i]:  # the first appendix
            step = number[i] - 99
    within = 0 < step <= 3 if i < len(last) else step <= 2
    return within and all(part <= 2 for part in number[i + 1 :])


def _title_like(title: str) -> bool:
    words = title.split()
    return (
        0 < len(words) <= HEADING_MAX_WORDS
        and len(title) <= HEADING_MAX_CHARS
        and sum(c.isalpha() for c in title) >= 2
        and not NOT_HEADING.search(title)
    )


def _isolated(lines: list[tuple[int, str]], i: int) -> bool:
    """A paragraph of one line: a blank line (or the page's start) before it and a blank line after."""
    before = i == 0 or not lines[i - 1][1]
    return bool(lines[i][1]) and before and i + 1 < len(lines) and not lines[i + 1][1]


def _all_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return (
        len(line.split()) >= 2
        and len(letters) >= 4
        and all(c.isupper() for c in letters)
        and not re.search(r"[\d_/\\]", line)
    )
