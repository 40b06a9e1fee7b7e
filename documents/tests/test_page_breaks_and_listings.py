"""Chunks know where each page begins inside them, and whether they are a contents or index page."""

from documents.chunking import chunk_pages, is_listing
from documents.models import page_at
from documents.pdf import Page


def test_it_records_where_each_page_begins_inside_a_chunk() -> None:
    pages = [
        Page(1, "Alpha text on the first page."),
        Page(2, "Beta text on the second page."),
        Page(4, "Gamma."),
    ]
    (chunk,) = chunk_pages(pages, size=400, overlap=0)
    assert (chunk.page_start, chunk.page_end) == (1, 4)
    for word, page in [("Alpha", 1), ("Beta", 2), ("Gamma", 4)]:
        assert page_at(chunk.page_start, chunk.page_breaks, chunk.text.index(word)) == page


def test_it_tells_contents_and_index_pages_from_body_text() -> None:
    contents = "Contents\n1 Introduction 1\n1.1 What is R? 2\n2 Data 12\n2.1 Vectors 13\nAppendix A iv"
    index = "apt-get, 12, 45\napt-cache, 13\ndpkg, 7-9, 100\nsources.list, 22\nupgrade, 30, 31"
    body = (
        "To install the package, run the installer.\nThen edit the file and set the port to 8080.\n"
        "Restart the service.\nThe logs are written to /var/log by default.\nSee chapter 3 for more."
    )
    assert is_listing(contents) and is_listing(index)
    assert not is_listing(body)
