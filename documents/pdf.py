"""Reading PDFs with pypdfium2: the checks made at upload, and the text of each page.

Every refusal is a `PdfRejected` whose message is fit to show the person who uploaded the file.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from django.conf import settings

MAGIC = b"%PDF-"
# Readers accept the header anywhere in the first KiB, and the end-of-file marker in the last one.
HEADER_WINDOW = 1024
TRAILER_WINDOW = 1024

Source = str | Path | bytes

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
# Dot leaders of a contents or index line (tokens for nothing): a run of dots (or · _ -), spaced
# or not, before the page number that ends the line; and rules of 12 or more anywhere. A "...."
# in running text is kept.
_LEADERS = re.compile(
    r"(?:[.·_\-] ?){4,}(?=[ \t]*(?:\d{1,4}|[ivxlcdm]{1,7})[ \t]*$)|([.·_\-])\1{11,}",
    re.MULTILINE | re.IGNORECASE,
)
_BLANKS = re.compile(r"[ \t]+")


class PdfRejected(Exception):
    """The file cannot be ingested; the message says why, in words for the uploader, and `code`
    names the reason for programs (the API answers it as its error code)."""

    def __init__(self, message: str, code: str = "damaged_pdf") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as people cite pages
    text: str


def check_size(size: int) -> None:
    if size == 0:
        raise PdfRejected(
            "This file is empty (0 bytes). Choose the PDF again, or check that it was saved.", "empty_file"
        )


def check_header(head: bytes) -> None:
    if MAGIC not in head[:HEADER_WINDOW]:
        raise PdfRejected("This file is not a PDF (its content does not start like one).", "not_pdf")


def check_trailer(tail: bytes) -> None:
    if b"%%EOF" not in tail[-TRAILER_WINDOW:]:
        raise PdfRejected(
            "This PDF is incomplete (it stops before its end); it was probably cut off.", "incomplete_pdf"
        )


def page_count(source: Source) -> int:
    """Open the PDF and count its pages, refusing encrypted, damaged, empty and too long ones."""
    pdf = open_pdf(source)
    try:
        count = len(pdf)
    finally:
        pdf.close()
    if count == 0:
        raise PdfRejected("This PDF has no pages.", "no_pages")
    if count > settings.MAX_PDF_PAGES:
        raise PdfRejected(
            f"This PDF has {count} pages; the limit is {settings.MAX_PDF_PAGES}.", "too_many_pages"
        )
    return count


def open_pdf(source: Source) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise PdfRejected(
                "This PDF is password-protected. Remove the password and upload it again.",
                "encrypted_pdf",
            ) from exc
        raise PdfRejected("This PDF is damaged and cannot be read.") from exc


def extract_pages(source: Source) -> Iterator[Page]:
    """Yield the text of each page in order, keeping its page number; one page in memory at a time."""
    pdf = open_pdf(source)
    try:
        for index in range(len(pdf)):
            yield Page(number=index + 1, text=page_text(pdf, index))
    finally:
        pdf.close()


def page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    try:
        page = pdf[index]
        textpage = page.get_textpage()
    except pdfium.PdfiumError as exc:
        raise PdfRejected(f"Page {index + 1} of this PDF is damaged and cannot be read.") from exc
    try:
        return clean(textpage.get_text_range())
    finally:
        textpage.close()
        page.close()


def clean(text: str) -> str:
    """Normalise line ends, drop control characters (PostgreSQL refuses NUL) and dot leaders."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _LEADERS.sub(" ", text)
    return _BLANKS.sub(" ", text).strip()
