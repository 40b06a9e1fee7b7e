import json

import pytest

from documents.models import Document
from evaluation import importing
from evaluation.importing import Documents, Invalid, parse, parse_pages


def docs() -> Documents:
    return Documents([
        Document(title="Pump manual", original_name="pump-manual.pdf", page_count=40),
        Document(title="R FAQ", original_name="R-FAQ.pdf", page_count=52),
    ])  # fmt: skip


def test_it_reads_pages_as_numbers_lists_and_ranges() -> None:
    assert parse_pages(12) == [12]
    assert parse_pages([13, 12, 12]) == [12, 13]
    assert parse_pages("12, 13") == [12, 13]
    assert parse_pages("12;14") == [12, 14]
    assert parse_pages("12-14") == [12, 13, 14]
    assert parse_pages("12 \u2013 13") == [12, 13]  # an en dash
    assert parse_pages(["3", "5-6"], page_count=6) == [3, 5, 6]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "at least one page"),
        ("0", "not a page number"),
        ("twelve", "not a page number"),
        ("14-12", "not a page range"),
        (True, "page numbers"),
        ([1.5], "not a page number"),
        ("41", "past the end: the document has 40 pages"),
        ("1-30", "not a page range"),
    ],
)
def test_it_says_what_is_wrong_with_pages(value: object, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_pages(value, page_count=40)


def test_it_imports_jsonl_matching_documents_by_file_name_title_or_case() -> None:
    lines = [
        {"question": "How do I prime the pump?", "document": "pump-manual.pdf", "pages": [3]},
        {"question": "What is CRAN?", "document": "r faq", "pages": "13-14", "kind": "faq"},
    ]
    outcome = parse("\n".join(json.dumps(line) for line in lines).encode(), docs(), "set.jsonl")
    assert outcome.errors == []
    assert [(r.question, r.document.title, r.pages, r.label) for r in outcome.rows] == [
        ("How do I prime the pump?", "Pump manual", [3], ""),
        ("What is CRAN?", "R FAQ", [13, 14], "faq"),
    ]


def test_it_imports_csv_with_a_header_row() -> None:
    data = 'question,document,pages,label\n"Where, exactly, is the valve?",Pump manual,"7, 8",paraphrase\n\n'
    outcome = parse(data.encode("utf-8-sig"), docs(), "set.csv")
    assert outcome.errors == []
    assert [(r.question, r.pages, r.label) for r in outcome.rows] == [
        ("Where, exactly, is the valve?", [7, 8], "paraphrase")
    ]


def test_it_lists_every_bad_line_with_its_number() -> None:
    lines = [
        json.dumps({"question": "Fine?", "document": "pump-manual.pdf", "pages": [1]}),
        "{not json",
        json.dumps({"question": "", "document": "pump-manual.pdf", "pages": [1]}),
        json.dumps({"question": "Which?", "document": "Nope.pdf", "pages": [1]}),
        json.dumps({"question": "Past the end?", "document": "pump-manual.pdf", "pages": [99]}),
        json.dumps(["a", "list"]),
    ]
    outcome = parse("\n".join(lines).encode(), docs(), "set.jsonl")
    assert outcome.errors == [
        "Line 2: not valid JSON (Expecting property name enclosed in double quotes, column 2).",
        "Line 3: the question is empty.",
        "Line 4: no document named 'Nope.pdf' in this workspace.",
        "Line 5: page 99 is past the end: the document has 40 pages.",
        'Line 6: each line must be a JSON object, such as {"question": ..., "document": ..., "pages": [3]}.',
    ]


def test_it_refuses_a_csv_without_the_columns_and_files_that_are_not_text() -> None:
    missing = parse(b"question,pages\nWhat?,3\n", docs(), "set.csv")
    assert missing.errors == [
        "Line 1: the header row must name the columns question, document and pages (missing: document)."
    ]
    assert parse(b"\xff\xfe\x00bad", docs(), "x.csv").errors[0].startswith("The file is not UTF-8 text.")
    assert parse(b"", docs(), "x.jsonl").errors == ["The file has no questions."]
    assert parse(b"x" * (importing.MAX_FILE_BYTES + 1), docs()).errors == ["The file is larger than 1 MB."]
