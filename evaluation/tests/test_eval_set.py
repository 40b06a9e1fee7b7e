"""The repository's evaluation set (bench/eval/) is what its README says: real PDFs, at least 150
questions of which at least 50 paraphrases, and every quoted phrase on the page it names."""

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest

EVAL = Path(__file__).resolve().parents[2] / "bench" / "eval"


def questions() -> list[dict]:
    lines = (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@cache
def page_text(document: str, page: int) -> str:
    pdf = pdfium.PdfDocument(EVAL / "pdfs" / document)
    return normal(pdf[page - 1].get_textpage().get_text_range())


def normal(text: str) -> str:
    text = text.replace("\ufffe", "").replace("\u00ad", "").replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub("[\"'\u201c\u201d]", "", text)  # quote marks around a word
    text = re.sub(r"-\s*\n\s*", "", text)  # words hyphenated across lines
    return re.sub(r"\s+", " ", text).lower()


def test_it_has_the_questions_the_readme_promises() -> None:
    found = questions()
    kinds = Counter(q["kind"] for q in found)
    assert len(found) >= 150 and kinds["paraphrase"] >= 50 and kinds["faq"] and kinds["phrase"]
    assert {q["lang"] for q in found} >= {"en", "ru"}
    manifest = json.loads((EVAL / "documents.json").read_text())
    assert set(manifest) == {p.name for p in (EVAL / "pdfs").glob("*.pdf")} == {q["document"] for q in found}
    for q in found:
        assert set(q) == {"question", "document", "pages", "kind", "lang"}, q
        pages = len(pdfium.PdfDocument(EVAL / "pdfs" / q["document"]))
        assert q["pages"] and all(1 <= p <= pages for p in q["pages"]), q


@pytest.mark.parametrize(
    "q", [q for q in questions() if q["kind"] == "phrase"], ids=lambda q: q["question"][:40]
)
def test_it_finds_each_quoted_phrase_on_its_expected_page(q: dict) -> None:
    quoted = re.findall(r'"([^"]+)"', q["question"])
    phrase = normal(quoted[0] if quoted else q["question"])
    text = " ".join(page_text(q["document"], p) for p in q["pages"])
    # Footnote marks and layout break a few phrases: then its first and last five words must be there.
    words = phrase.split()
    assert phrase in text or (" ".join(words[:5]) in text and " ".join(words[-3:]) in text), (
        phrase,
        q["pages"],
    )
