"""Real PDFs for the tests, made with fpdf2: text, unicode, encrypted, image-only, broken."""

import io
import logging
import os
import random
import shutil
import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from fpdf import FPDF

logging.getLogger("fontTools").setLevel(logging.WARNING)  # its font subsetting chatter

FONT_PATHS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
]
WORDS = [
    "invoice",
    "contract",
    "payment",
    "warranty",
    "engine",
    "turbine",
    "valve",
    "pressure",
    "sensor",
    "calibration",
    "manual",
    "safety",
    "procedure",
    "maintenance",
    "schedule",
    "inspection",
    "report",
    "battery",
    "voltage",
    "current",
    "circuit",
    "network",
    "server",
    "storage",
    "backup",
    "policy",
    "audit",
    "revenue",
    "quarter",
    "forecast",
    "customer",
    "support",
]
RUSSIAN = "Привет мир. Это проверочный документ о техническом обслуживании турбины и насосов."  # noqa: RUF001
PERSIAN = "این یک سند آزمایشی درباره نگهداری توربین و پمپ است.\nکتابخانه دانشگاه تهران"  # noqa: RUF001


@cache
def unicode_font() -> str:
    """A TTF with Latin, Cyrillic and Arabic-script glyphs (DejaVu Sans: fonts-dejavu-core)."""
    for path in FONT_PATHS:
        if Path(path).exists():
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True)
        if found.stdout.endswith(".ttf"):
            return found.stdout
    why = "DejaVu Sans is needed for the unicode test PDFs: apt-get install fonts-dejavu-core"
    if os.environ.get("REQUIRE_BROWSER") or os.environ.get("CI"):  # CI installs it: a failure there
        raise RuntimeError(why)
    pytest.skip(why)


def marker(page: int) -> str:
    """A word found on exactly one page, to check page numbers."""
    return f"pagemarker{page:04d}"


def page_text(page: int, words: int = 220, seed: int = 0) -> str:
    rng = random.Random(seed * 100_003 + page)
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return f"Page {page} {marker(page)}. {body.capitalize()}."


CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _new_pdf(*, unicode: bool = False) -> FPDF:
    pdf = FPDF()
    # The same pages make the same bytes: a creation date to the second made two builds a second
    # apart different files (a duplicate-upload test then saw a new file, now and then).
    pdf.set_creation_date(CREATED)
    pdf.set_auto_page_break(False)  # one page of ours is exactly one PDF page
    if unicode:
        pdf.add_font("dejavu", fname=unicode_font())
        pdf.set_font("dejavu", size=11)
        _shape_if_possible(pdf)
    else:
        pdf.set_font("helvetica", size=11)
    return pdf


def _shape_if_possible(pdf: FPDF) -> None:
    # Shaped Arabic-script text is what real Persian PDFs contain (and what extracts in logical order).
    try:
        pdf.set_text_shaping(True)
    except Exception:  # uharfbuzz missing: glyphs are placed unshaped
        return


def build(
    pages: list[str], *, unicode: bool = False, user_password: str | None = None, **encryption: str
) -> bytes:
    pdf = _new_pdf(unicode=unicode)
    if user_password is not None:
        pdf.set_encryption(
            owner_password=encryption.get("owner_password", "owner-secret"), user_password=user_password
        )
    for text in pages:
        pdf.add_page()
        if unicode:
            # One cell per line: justified multi-line cells split shaped right-to-left text into
            # pieces that extract out of order, which real Persian PDFs do not.
            for line in text.split("\n"):
                pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def text_pdf(pages: int = 3, words: int = 220, seed: int = 0) -> bytes:
    return build([page_text(n, words, seed) for n in range(1, pages + 1)])


def unicode_pdf() -> bytes:
    return build([f"English page. {page_text(1, 12)}", RUSSIAN, PERSIAN], unicode=True)


def encrypted_pdf(user_password: str = "open-sesame") -> bytes:  # noqa: S107
    return build([page_text(1)], user_password=user_password)


def owner_only_encrypted_pdf() -> bytes:
    """Encrypted, but anyone may open it (empty user password): readable, so accepted."""
    return build([page_text(1)], user_password="")


def image_only_pdf(pages: int = 2) -> bytes:
    """Like a scan: each page is a picture of text, with no text layer."""
    from PIL import Image, ImageDraw

    pdf = _new_pdf()
    for _ in range(pages):
        image = Image.new("L", (850, 1100), 255)
        draw = ImageDraw.Draw(image)
        for line in range(40):
            draw.rectangle((60, 60 + line * 25, 60 + (line * 97) % 600 + 150, 72 + line * 25), fill=40)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=210)
    return bytes(pdf.output())


def rasterize(data: bytes, dpi: int = 150) -> bytes:
    """A scan of a PDF: each page becomes a grayscale picture at `dpi`, with no text layer."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


# Words found on one page of a scan each: OCR reads plain words more surely than pagemarker0001.
SCAN_MARKERS = ["harbor", "meadow", "lantern", "orchid", "falcon", "glacier", "walnut", "copper", "violin"]


def scan_marker(page: int) -> str:
    return SCAN_MARKERS[(page - 1) % len(SCAN_MARKERS)]


def scan_text(page: int, words: int = 24, seed: int = 0) -> str:
    """A short page for OCR (few lines read fast): its marker word, then common words."""
    rng = random.Random(seed * 7919 + page)
    return f"Page {page} {scan_marker(page)}\n" + " ".join(rng.choice(WORDS) for _ in range(words))


def scanned_pdf(pages: int = 2, words: int = 24, seed: int = 0) -> bytes:
    """Like a scanner's output: pictures of pages of text (large print, 150 dpi), no text layer."""
    pdf = _new_pdf()
    pdf.set_font("helvetica", size=16)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 9, scan_text(number, words, seed))
    return rasterize(bytes(pdf.output()))


def mixed_pdf(kinds: str) -> bytes:
    """Text pages ("t") and scanned pages ("s") in the given order, e.g. "tst": page n of the
    result is page n of a text PDF or of a scan, with that page's markers."""
    text, scan = text_pdf(len(kinds), words=60), scanned_pdf(len(kinds))
    return join([text if kind == "t" else scan for kind in kinds], pick=True)


def join(documents: list[bytes], *, pick: bool = False) -> bytes:
    """One PDF of all their pages; with `pick`, only page n of the n-th one."""
    import pypdfium2 as pdfium

    combined = pdfium.PdfDocument.new()
    try:
        for index, data in enumerate(documents):
            source = pdfium.PdfDocument(data)
            combined.import_pages(source, [index] if pick else None)
            source.close()
        buffer = io.BytesIO()
        combined.save(buffer)
    finally:
        combined.close()
    return buffer.getvalue()


def truncated_pdf() -> bytes:
    whole = text_pdf(4)
    return whole[: len(whole) * 2 // 3]


def not_a_pdf() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def too_many_pages_pdf(pages: int) -> bytes:
    return build([f"Page {n}" for n in range(1, pages + 1)])
