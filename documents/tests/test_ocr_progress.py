"""OCR shows its progress page by page: "Reading page 2 of 3 (OCR)", pushed as it goes."""

from django.template.loader import render_to_string

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import make_document


def test_it_reports_each_page_it_reads_by_ocr(cast: Cast) -> None:
    document = make_document(cast, pdfs.mixed_pdf("tss"), name="mixed.pdf")
    pipeline.ingest(document.pk)  # the text pass
    seen: list[str] = []

    def listener(doc: Document) -> None:
        html = render_to_string("documents/list.html#status", {"doc": doc})
        seen.append(" ".join(html.split()))

    pipeline.ingest(document.pk, listener=listener, stage=pipeline.Stage.OCR)
    reading = [line for line in seen if "(OCR)" in line]
    assert any("Reading page 2 of 3 (OCR)" in line for line in reading)
    assert any("Reading page 3 of 3 (OCR)" in line for line in reading)
    percents = [int(line.split('value="')[1].split('"')[0]) for line in reading]
    assert percents == sorted(percents) and percents[0] < percents[-1]  # the bar moves with OCR
    assert "Ready" in seen[-1]
