"""Section headings: found in plain page text, and prefixed to what is embedded (a chunk's vector and
sentence windows), never to the text that is stored, full-text indexed, shown, quoted and cited."""

import pytest
from django.contrib.postgres.search import SearchQuery
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.retrieval import search
from docuchat.testing import Cast
from documents import chunking, index, vectors
from documents.chunking import chunk_pages, find_headings, indexed_text
from documents.models import Chunk
from documents.pdf import Page
from documents.tests import pdfs
from documents.tests.conftest import ingest_now, make_document

SENTENCES = [
    "The installer asks where the data should live and who may read it.",
    "Every service writes its log to the same directory, rotated each night.",
    "A second machine can take over when the first one stops answering.",
    "Keys are kept in a separate file that only the administrator can read.",
]


def body(lines: int, seed: int = 0) -> list[str]:
    return [SENTENCES[(seed + n) % len(SENTENCES)] for n in range(lines)]


def titles(*pages: str) -> list[str]:
    return [h.title for h in find_headings([Page(n, text) for n, text in enumerate(pages, start=1)])]


def test_it_finds_numbered_named_and_capitalised_headings_in_any_language() -> None:
    page = "\n".join(
        [
            "1 Introduction",
            *body(2),
            "1.1 Installing the server",
            *body(2, 1),
            "1.2 How can I change the port?",
            *body(1),
            "2 Хранение данных",
            *body(1),
            "2.1 Резервные копии и восстановление",
            *body(1),
            "Appendix A Sample session",
            *body(1),
            "TROUBLESHOOTING AND SUPPORT",
            *body(1),
        ]
    )
    isolated = "Some text ends here.\n\nGetting started\n\nThe first steps are these."
    assert titles(page, isolated) == [
        "Introduction",
        "Installing the server",
        "How can I change the port?",
        "Хранение данных",
        "Резервные копии и восстановление",
        "Sample session",
        "TROUBLESHOOTING AND SUPPORT",
        "Getting started",
    ]


def test_it_joins_a_heading_that_wrapped_onto_a_second_line() -> None:
    page = "\n".join(["7.18 Why does the output from anova() depend on the", "order of factors?", *body(2)])
    assert titles(page) == ["Why does the output from anova() depend on the order of factors?"]


def test_it_does_not_take_contents_headers_lists_tables_footnotes_or_code_for_headings() -> None:
    contents = "\n".join(
        [
            "Contents",
            "1 Introduction 2",
            "1.1 Installing the server 3",
            "1.2 Backups 4",
            "2 Data 5",
            "2.1 Tables 6",
        ]
    )
    body_page = "\n".join(
        [
            "Chapter 1: Introduction 3",  # a running header: ends with its page number
            "1 Introduction",
            "There are a number of issues to consider when writing a file:",
            "2. Header line",  # a numbered list in a document whose chapters are "1 ..."
            *body(1),
            "3. Separator",
            "1. Make the working directory and start the program as before:",
            "5 New Mexico 11.4",  # a table row
            "7 Seven steps",  # does not follow 1
            "3 apples",
            "x <- c(1, 2); for (i in 1:10) {",
            "1 For portable code only A-Z should be used.",  # a footnote: a sentence
            "1.1 Installing the server",
            *body(2),
        ]
    )
    headed = ["USER GUIDE\n" + "\n".join(body(3, n)) for n in range(3)]  # a running header, pages 3 to 5
    assert titles(contents, body_page, *headed) == ["Introduction", "Installing the server"]


def test_a_heading_is_in_force_from_its_line_to_the_next_one_across_chunks_and_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages = [
        Page(1, "1 Installing the server\n" + "\n".join(body(30))),
        Page(2, "\n".join(body(30, 1))),
        Page(3, "\n".join(body(10, 2)) + "\n2 Backups\n" + "\n".join(body(30, 3))),
    ]
    drafts = chunk_pages(pages, size=120, overlap=10)
    assert len(drafts) > 6 and drafts[0].heading == "Installing the server"
    on_page_2 = [d for d in drafts if d.page_start == 2]
    assert on_page_2 and all(d.heading == "Installing the server" for d in on_page_2)
    assert "Installing" not in on_page_2[0].text
    assert drafts[-1].heading == "Backups" and "Backups" not in drafts[-1].text
    for draft in drafts:  # the heading is in what is indexed, never in what is stored and cited
        assert draft.indexed_text == f"{draft.heading}. {draft.text}"
    monkeypatch.setattr(chunking, "find_headings", lambda pages: [])
    unheaded = chunk_pages(pages, size=120, overlap=10)
    assert [(d.text, d.page_start, d.page_end, d.page_breaks) for d in drafts] == [
        (d.text, d.page_start, d.page_end, d.page_breaks) for d in unheaded
    ]
    assert all(d.heading == "" and d.indexed_text == d.text for d in unheaded)


def test_a_contents_chunk_has_no_heading() -> None:
    contents = "\n".join(["Contents", *(f"{n} Chapter number {n} {n * 3}" for n in range(1, 9))])
    drafts = chunk_pages(
        [Page(1, "1 Introduction\n" + "\n".join(body(3))), Page(2, contents)], size=60, overlap=0
    )
    assert drafts[0].heading == "Introduction" and not drafts[0].contents
    assert drafts[-1].contents and drafts[-1].heading == ""


def test_indexed_text_makes_the_heading_a_sentence_of_its_own() -> None:
    assert indexed_text("", "Text.") == "Text."
    assert indexed_text("Backups", "Text.") == "Backups. Text."
    assert indexed_text("How can I change the port?", "Text.") == "How can I change the port? Text."


@pytest.mark.django_db
def test_it_indexes_the_heading_but_stores_shows_and_cites_the_text_as_it_is(
    cast: Cast, settings: SettingsWrapper
) -> None:
    settings.CHUNK_TOKEN_SIZE, settings.CHUNK_OVERLAP = 40, 0  # several chunks a page
    first = "1 Zanzibar deployment\n" + "\n".join(body(6))
    second = "\n".join(body(6, 2)) + f" {pdfs.marker(2)}."
    document = ingest_now(make_document(cast, pdfs.build([first, second])))
    chunks = list(Chunk.objects.filter(document=document).order_by("ordinal"))
    later = [c for c in chunks if "Zanzibar" not in c.text]
    assert later and all(c.heading == "Zanzibar deployment" for c in chunks)
    assert all(c.text.strip() == c.text and not c.text.startswith("Zanzibar deployment.") for c in chunks)
    # Full text: the chunk's own words only (the heading there gained nothing, docs/retrieval.md).
    matched = set(
        Chunk.objects.filter(search=SearchQuery("zanzibar", config="simple")).values_list("pk", flat=True)
    )
    assert matched == {c.pk for c in chunks if "Zanzibar" in c.text} and later[0].pk not in matched
    # The vector is the embedding of the heading and the text.
    store = index.current(cast.acme).store
    embedder = index.embedder_for(store)
    stored = vectors.of_document(store, cast.acme.pk, document.pk)
    expected = embedder.embed([indexed_text(later[-1].heading, later[-1].text)]).vectors[0]
    assert stored[later[-1].pk] == pytest.approx(expected, abs=1e-5)
    # What search shows, quotes and cites is the stored text, on its own page.
    marked = next(c for c in chunks if pdfs.marker(2) in c.text)
    assert marked.page_start == 2 and "Zanzibar" not in marked.text
    hits = {hit.chunk_id: hit for hit in search(cast.acme, f"Zanzibar {pdfs.marker(2)}")}
    assert marked.pk in hits
    hit, flat = hits[marked.pk], " ".join(marked.text.split())
    assert hit.text == marked.text and hit.page == 2
    assert hit.passage.removesuffix(" …") in flat and hit.snippet.strip("…") in flat
