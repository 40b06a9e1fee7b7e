from documents import pdf
from documents.tests import pdfs


def test_it_extracts_the_text_of_each_page_with_its_number() -> None:
    pages = list(pdf.extract_pages(pdfs.text_pdf(4)))
    assert [page.number for page in pages] == [1, 2, 3, 4]
    for page in pages:
        assert pdfs.marker(page.number) in page.text
        assert all(pdfs.marker(n) not in page.text for n in range(1, 5) if n != page.number)


def test_it_extracts_russian_and_persian_text_in_reading_order() -> None:
    pages = list(pdf.extract_pages(pdfs.unicode_pdf()))
    assert "Привет мир" in pages[1].text
    assert "проверочный документ" in pages[1].text
    for word in ("سند", "آزمایشی", "نگهداری", "توربین", "دانشگاه", "تهران"):
        assert word in pages[2].text


def test_it_reads_from_a_path_too(tmp_path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdfs.text_pdf(2))
    assert [page.number for page in pdf.extract_pages(str(path))] == [1, 2]


def test_it_cleans_control_characters_line_ends_and_dot_leaders() -> None:
    raw = "Chapter 1\r\nIntro\x00duction ........................ 7\r\n\x02next"
    assert pdf.clean(raw) == "Chapter 1\nIntroduction 7\nnext"
    assert pdf.clean("Setup . . . . . . . 12\nAppendix .... iv") == "Setup 12\nAppendix iv"


def test_it_keeps_dots_that_are_text_not_leaders() -> None:
    assert pdf.clean("Wait.... then run it.\nDone....") == "Wait.... then run it.\nDone...."


def test_it_counts_pages() -> None:
    assert pdf.page_count(pdfs.text_pdf(7)) == 7
