"""Reading test questions from CSV or JSONL, with a message for every line that cannot be used.

Each row names a question, its document (file name, title or public id, within the tenant) and
the pages where the answer is; optionally a label (`label` or `kind`). A file is all or nothing:
if any line is wrong, nothing is imported and every wrong line is listed.
"""

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docuchat.lib import csvsafe
from documents.models import Document
from evaluation.models import MAX_QUESTION_CHARS

MAX_FILE_BYTES = 1_000_000
MAX_ROWS = 2000
MAX_PAGES_PER_QUESTION = 20
MAX_LABEL_CHARS = 40
PAGE_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-\u2013]\s*(\d+))?\s*$")  # 12, or 12-14 (hyphen or en dash)


class Invalid(ValueError):
    """A value that cannot be used; its message is for the person who wrote it."""


@dataclass(frozen=True)
class Parsed:
    question: str
    document: Document
    pages: list[int]
    label: str = ""


@dataclass
class Outcome:
    rows: list[Parsed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_pages(value: Any, page_count: int = 0) -> list[int]:
    """Pages as a list of numbers, one number, or text such as "12", "12, 13", "12-14" or "12;13"."""
    if isinstance(value, bool):
        raise Invalid("pages must be page numbers, such as 12 or 12, 13.")
    if isinstance(value, int):
        items: list[Any] = [value]
    elif isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [
            part for part in re.split(r"[,;\s]+", re.sub(r"\s*[-\u2013]\s*", "-", value.strip())) if part
        ]
    else:
        raise Invalid("pages must be page numbers, such as 12 or 12, 13.")
    pages: set[int] = set()
    for item in items:
        pages.update(_page_numbers(item))
    if not pages:
        raise Invalid("give at least one page number.")
    if len(pages) > MAX_PAGES_PER_QUESTION:
        raise Invalid(f"at most {MAX_PAGES_PER_QUESTION} pages per question.")
    if page_count and max(pages) > page_count:
        raise Invalid(f"page {max(pages)} is past the end: the document has {page_count} pages.")
    return sorted(pages)


def _page_numbers(item: Any) -> range:
    if isinstance(item, bool) or not isinstance(item, int | str):
        raise Invalid(f"{item!r} is not a page number.")
    match = PAGE_RANGE.match(str(item))
    if not match:
        raise Invalid(f"{str(item)[:20]!r} is not a page number (pages start at 1).")
    first, last = int(match[1]), int(match[2] or match[1])
    what = "page range" if match[2] else "page number"
    if first < 1 or last < first or last - first >= MAX_PAGES_PER_QUESTION:
        raise Invalid(f"{str(item)[:20]!r} is not a {what} (pages start at 1).")
    return range(first, last + 1)


def clean_question(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("the question is empty.")
    text = " ".join(value.split())
    if len(text) > MAX_QUESTION_CHARS:
        raise Invalid(f"the question is longer than {MAX_QUESTION_CHARS} characters.")
    return text


def clean_label(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value.strip()) > MAX_LABEL_CHARS:
        raise Invalid(f"the label must be text of at most {MAX_LABEL_CHARS} characters.")
    return value.strip()


class Documents:
    """Finds a tenant's document by file name, title (either case-insensitive) or public id."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.by_key: dict[str, Document] = {}
        for document in documents:
            for key in (str(document.public_id), document.title.lower(), document.original_name.lower()):
                if key:
                    self.by_key.setdefault(key, document)

    def find(self, name: Any) -> Document:
        if not isinstance(name, str) or not name.strip():
            raise Invalid("the document is missing: give its file name or title.")
        key = name.strip()
        found = self.by_key.get(key.lower()) or self.by_key.get(_uuid_key(key))
        if found is None:
            raise Invalid(f"no document named {key[:80]!r} in this workspace.")
        return found


def _uuid_key(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def parse(data: bytes, documents: Documents, name: str = "") -> Outcome:
    """The rows of a CSV or JSONL file (JSONL when the file name says so or it starts with "{")."""
    outcome = Outcome()
    if len(data) > MAX_FILE_BYTES:
        outcome.errors.append(f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB.")
        return outcome
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        outcome.errors.append("The file is not UTF-8 text. Save it as UTF-8 (CSV or JSONL) and try again.")
        return outcome
    records = _jsonl(text) if _is_jsonl(text, name) else _csv(text)
    for line, record in records:
        if isinstance(record, str):
            outcome.errors.append(f"Line {line}: {record}")
            continue
        if len(outcome.rows) + len(outcome.errors) >= MAX_ROWS:
            outcome.errors.append(f"Line {line}: more than {MAX_ROWS} questions in one file.")
            break
        try:
            outcome.rows.append(row(record, documents))
        except Invalid as exc:
            outcome.errors.append(f"Line {line}: {exc}")
    if not outcome.rows and not outcome.errors:
        outcome.errors.append("The file has no questions.")
    return outcome


def row(record: dict[str, Any], documents: Documents) -> Parsed:
    document = documents.find(record.get("document"))
    return Parsed(
        question=clean_question(record.get("question")),
        document=document,
        pages=parse_pages(record.get("pages"), document.page_count),
        label=clean_label(record.get("label", record.get("kind"))),
    )


def _is_jsonl(text: str, name: str) -> bool:
    if name.lower().endswith((".jsonl", ".json", ".ndjson")):
        return True
    if name.lower().endswith(".csv"):
        return False
    return text.lstrip().startswith("{")


def _jsonl(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg}, column {exc.colno})."
            continue
        if not isinstance(record, dict):
            yield (
                number,
                'each line must be a JSON object, such as {"question": ..., "document": ..., "pages": [3]}.',
            )
            continue
        yield number, record


REQUIRED_COLUMNS = ("question", "document", "pages")


def _csv(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csvsafe.dict_reader(text)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        named = ", ".join(missing)
        yield 1, f"the header row must name the columns question, document and pages (missing: {named})."
        return
    reader.fieldnames = columns
    try:
        for record in reader:
            if not any((v or "").strip() for k, v in record.items() if isinstance(v, str)):
                continue
            yield reader.line_num, {k: v for k, v in record.items() if k is not None}
    except csvsafe.Error as exc:
        yield reader.line_num, f"not valid CSV ({exc})."
