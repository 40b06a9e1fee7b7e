"""The Documents list: search, filter by state, sort and pages, fetched again as it is shown."""

from django.test import Client

from docuchat.testing import Cast
from documents import listing
from documents.models import Document
from tenants.models import Tenant

Status = Document.Status


def add(
    tenant: Tenant, title: str, *, status: str = Status.READY, pages: int = 1, name: str = ""
) -> Document:
    return Document.objects.create(
        tenant=tenant, title=title, original_name=name or f"{title}.pdf", sha256=title.ljust(64, "0")[:64],
        status=status, page_count=pages,
    )  # fmt: skip


def rows(client: Client, query: str = "", target: str = "doc-list") -> str:
    response = client.get(f"/t/acme/documents/{query}", headers={"HX-Request": "true", "HX-Target": target})
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str, documents: list[Document]) -> list[str]:
    """The titles of `documents` in the order the page shows them."""
    found = [(html.find(f'id="doc-{d.public_id}"'), d.title) for d in documents]
    return [title for position, title in sorted(found) if position >= 0]


def test_it_searches_titles_and_file_names(client: Client, cast: Cast) -> None:
    docs = [
        add(cast.acme, "Pump manual"),
        add(cast.acme, "Q3 report", name="finance-pump.pdf"),
        add(cast.acme, "Other"),
    ]
    add(cast.globex, "Pump manual of globex")
    client.force_login(cast.member)
    html = rows(client, "?q=PUMP")
    assert shown(html, docs) == ["Q3 report", "Pump manual"] and "globex" not in html
    assert 'name="q" value="PUMP"' in html  # the list remembers what it shows (#doc-state)
    assert "No documents match “nothing”" in rows(client, "?q=nothing")


def test_it_filters_by_state_and_counts_each_state(client: Client, cast: Cast) -> None:
    docs = [
        add(cast.acme, "A"),
        add(cast.acme, "B", status=Status.FAILED),
        add(cast.acme, "C", status=Status.FAILED),
    ]
    client.force_login(cast.owner)
    assert shown(rows(client, "?status=failed"), docs) == ["C", "B"]
    page = client.get("/t/acme/documents/").content.decode()
    assert "All states (3)" in page and "Failed (2)" in page and "Ready (1)" in page
    assert shown(rows(client, "?status=nonsense"), docs) == ["C", "B", "A"]  # a bad value is ignored


def test_it_sorts(client: Client, cast: Cast) -> None:
    docs = [
        add(cast.acme, "beta", pages=5),
        add(cast.acme, "Alpha", pages=50),
        add(cast.acme, "gamma", pages=1),
    ]
    client.force_login(cast.member)
    assert shown(rows(client), docs) == ["gamma", "Alpha", "beta"]  # newest first
    assert shown(rows(client, "?sort=oldest"), docs) == ["beta", "Alpha", "gamma"]
    assert shown(rows(client, "?sort=title"), docs) == ["Alpha", "beta", "gamma"]
    assert shown(rows(client, "?sort=-title"), docs) == ["gamma", "beta", "Alpha"]
    assert shown(rows(client, "?sort=pages"), docs) == ["Alpha", "beta", "gamma"]


def test_it_pages_and_keeps_the_search_in_the_pager_links(client: Client, cast: Cast) -> None:
    docs = [add(cast.acme, f"Manual {i:02}") for i in range(listing.PER_PAGE + 3)]
    add(cast.acme, "Unrelated")
    client.force_login(cast.member)
    first = rows(client, "?q=manual&sort=title")
    assert len(shown(first, docs)) == listing.PER_PAGE and f"1\u2013{listing.PER_PAGE} of 28" in first
    assert 'href="?q=manual&amp;sort=title&amp;page=2"' in first
    second = rows(client, "?q=manual&sort=title&page=2")
    assert shown(second, docs) == ["Manual 25", "Manual 26", "Manual 27"]
    assert '<input type="hidden" name="page" value="2">' in second
    assert shown(rows(client, "?page=999"), docs)[-1] == "Manual 00"  # past the end: the last page


def test_it_answers_a_whole_page_and_the_rows_alone(client: Client, cast: Cast) -> None:
    add(cast.acme, "Only")
    client.force_login(cast.member)
    page = client.get("/t/acme/documents/?q=only").content.decode()
    assert "<h1>Documents</h1>" in page and 'id="doc-q" name="q" value="only"' in page
    fragment = rows(client, "?q=only")
    assert fragment.lstrip().startswith('<div id="doc-list"') and "<h1>" not in fragment


def test_it_shows_another_workspace_nothing(client: Client, cast: Cast) -> None:
    add(cast.acme, "Secret plans")
    client.force_login(cast.other)
    assert client.get("/t/acme/documents/?q=secret").status_code == 404
