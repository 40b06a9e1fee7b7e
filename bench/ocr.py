"""OCR benchmark: pages per second, word accuracy and memory on a real scanned document.

    .venv/bin/python bench/ocr.py [--real PATH] [--pages 20] [--grid] [--skip-worker | --skip-settings]

1. The scan: `--pages` pages spread over a real text PDF (Valgrind's manual from /usr/share/doc
   when installed, else --real PATH), each rendered at 150 dpi in grayscale and wrapped as an
   image-only PDF (JPEG pages, as scanners write them). Each page's original text layer is kept.
2. Settings: every page read the way the extraction child reads it, with the configured OCR_DPI
   and OCR_THREADS, against RapidOCR's defaults as the baseline (its direction classifier on, every
   core, no space repair, the scan's own 150 dpi), in the same run. `--grid` adds the reader
   before issue 12 (RapidOCR's models as shipped, 6 lines per batch), 150 dpi and one thread. Each
   setting runs in a fresh process. Per setting: wall and CPU seconds per page (CPU counts every
   thread, and does not depend on the machine's load as wall time does), pages per second, word
   accuracy (the share of the original text layer's words, letters and digits, case-folded, each
   occurrence counted, found among the OCR text's words), and the process's peak RSS.
3. End to end (unless --skip-worker): the scan through a real `manage.py db_worker` (text pass,
   OCR pass in the extraction child, chunks, offline embeddings), timed from queued to ready;
   the worker's peak RSS (VmHWM) and the extraction child's (from the worker's log).

Everything runs in a separate database (docuchat_bench_ocr on the embedded server, or
BENCH_DATABASE_URL) and a temporary DATA_DIR. The report is also saved under bench/results/.
"""

import argparse
import gzip
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATABASE = "docuchat_bench_ocr"
REAL_CANDIDATES = [
    "/usr/share/doc/valgrind/valgrind_manual.pdf.gz",
    "/usr/share/doc/valgrind/valgrind_manual.pdf",
]
SCAN_DPI = 150
TARGETS = {"pages_per_second": 1.0, "accuracy": 0.95}
WORD = re.compile(r"\w+")
lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines.append(text)


# --- The scan -----------------------------------------------------------------------------------
def real_pdf(given: str | None) -> tuple[bytes, str]:
    for candidate in [given, *REAL_CANDIDATES]:
        if candidate and Path(candidate).exists():
            raw = Path(candidate).read_bytes()
            return (gzip.decompress(raw) if candidate.endswith(".gz") else raw), candidate
    raise SystemExit("No real PDF: install valgrind's manual (apt-get install valgrind) or pass --real PATH.")


def make_scan(data: bytes, count: int) -> tuple[bytes, list[str], list[int]]:
    """(image-only PDF, original text of each of its pages, their numbers in the original)."""
    import pypdfium2 as pdfium

    from documents.extract_child import needs_ocr

    original = pdfium.PdfDocument(data)
    texts = [original[i].get_textpage().get_text_range() for i in range(len(original))]
    with_text = [i for i, text in enumerate(texts) if not needs_ocr(text)]
    step = max(1, len(with_text) // count)
    chosen = with_text[::step][:count]
    images = [original[i].render(scale=SCAN_DPI / 72, grayscale=True).to_pil() for i in chosen]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=SCAN_DPI)
    return buffer.getvalue(), [texts[i] for i in chosen], [i + 1 for i in chosen]


def accuracy(originals: list[str], read: list[str]) -> float:
    """Share of the original words (with repeats) found among the words read, page by page."""
    found = total = 0
    for original, text in zip(originals, read, strict=True):
        want = Counter(word.lower() for word in WORD.findall(original))
        got = Counter(word.lower() for word in WORD.findall(text))
        found += sum(min(count, got[word]) for word, count in want.items())
        total += sum(want.values())
    return found / total


# --- Settings, each in a fresh process ---------------------------------------------------------
def measure(label: str, scan: bytes, originals: list[str], reader: tuple[str, int, int]) -> float:
    """Reads the scan in a fresh process (so that its peak memory is its own) and reports."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        texts, wall, cpu, peak = pool.apply(read_scan, (scan, reader))
    pages = len(texts)
    score = accuracy(originals, texts)
    say(
        f"  {label:<48} {wall / pages:5.2f} s/page wall  {cpu / pages:5.2f} s/page CPU  "
        f"{pages / wall:5.2f} pages/s  accuracy {score:6.1%}  peak RSS {peak:4.0f} MB"
    )
    return pages / wall


def read_scan(scan: bytes, reader: tuple[str, int, int]) -> tuple[list[str], float, float, float]:
    """(texts, wall s, CPU s, peak RSS MB) of reading every page, after loading the engine."""
    import pypdfium2 as pdfium

    read_page = READERS[reader[0]](*reader[1:])
    document = pdfium.PdfDocument(scan)
    wall, cpu = time.perf_counter(), time.process_time()
    texts = [read_page(document[index]) for index in range(len(document))]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return texts, wall, cpu, peak_rss_mb(os.getpid())


def baseline_reader(dpi: int, threads: int) -> Callable[[object], str]:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def read(page: object) -> str:
        result, _ = engine(page.render(scale=SCAN_DPI / 72).to_numpy())  # type: ignore[attr-defined]
        return "\n".join(text for _box, text, _score in result or [])

    return read


def tuned_reader(dpi: int, threads: int) -> Callable[[object], str]:
    from documents.ocr import Reader

    reader = Reader(dpi=dpi, threads=threads)
    return reader.read  # type: ignore[return-value]


def unsimplified_reader(dpi: int, threads: int) -> Callable[[object], str]:
    """DocuChat's reader before issue 12: RapidOCR's models as shipped, 6 lines per batch."""
    from rapidocr_onnxruntime import RapidOCR

    from documents.ocr import Reader, Spaces

    reader = Reader(dpi=dpi, threads=threads)
    reader.engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, use_cls=False)
    reader.engine.text_rec.postprocess_op = Spaces(reader.engine.text_rec.postprocess_op)
    return reader.read  # type: ignore[return-value]


READERS = {"baseline": baseline_reader, "tuned": tuned_reader, "unsimplified": unsimplified_reader}


def settings_table(scan: bytes, originals: list[str], grid: bool) -> None:
    from django.conf import settings

    dpi, threads = settings.OCR_DPI, settings.OCR_THREADS
    say(f"\nEach setting in a fresh process, {len(originals)} pages (render + OCR):")
    measure("baseline: RapidOCR defaults, 150 dpi", scan, originals, ("baseline", SCAN_DPI, 0))
    if grid:
        label = f"models as shipped, batch 6: {dpi} dpi, {threads} threads"
        measure(label, scan, originals, ("unsimplified", dpi, threads))
    configured = measure(f"DocuChat: {dpi} dpi, {threads} threads", scan, originals, ("tuned", dpi, threads))
    if grid:
        for other_dpi, other_threads in [(dpi, 1), (150, threads)]:
            label = f"DocuChat: {other_dpi} dpi, {other_threads} thread(s)"
            measure(label, scan, originals, ("tuned", other_dpi, other_threads))
    say(f"  target: >= {TARGETS['pages_per_second']:.0f} page/s: {'met' if configured >= 1 else 'NOT met'}")


# --- End to end, through a real worker ------------------------------------------------------------
def end_to_end(scan: bytes, originals: list[str], tmp: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents import uploads
    from documents.models import Document, DocumentPage
    from tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug="bench-ocr", defaults={"name": "Bench OCR"})
    Document.objects.filter(tenant=tenant).delete()
    log = tmp / "worker.log"
    worker = start_worker(log)
    try:
        time.sleep(3)  # started and idle
        started = time.perf_counter()
        upload = SimpleUploadedFile("scan.pdf", scan, content_type="application/pdf")
        document = uploads.accept(tenant, None, upload).document
        assert document is not None
        while (status := Document.objects.get(pk=document.pk).status) not in ("ready", "failed"):
            if time.perf_counter() - started > 1800:
                raise SystemExit("The scan was not ready within 30 minutes.")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        worker_peak = peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(30)
    document.refresh_from_db()
    texts = dict(DocumentPage.objects.filter(document=document).values_list("number", "text"))
    score = accuracy(originals, [texts.get(n, "") for n in range(1, len(originals) + 1)])
    child = re.findall(r"ocr pass: \d+ pages by OCR; peak RSS (\d+) MB", log.read_text())
    pages = len(originals)
    met = "met" if score >= TARGETS["accuracy"] else "NOT met"
    child_peak = child[-1] if child else "?"
    say(f"\nThrough a db_worker (queued -> {status}), {pages} pages:")
    if document.error:
        say(f"  error: {document.error}")
    say(f"  {elapsed:.1f} s, {pages / elapsed:.2f} pages/s, word accuracy {score:.1%} (target >= 95%: {met})")
    say(f"  worker peak RSS (VmHWM) {worker_peak:.0f} MB; extraction child peak RSS {child_peak} MB")


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--queue-name",
        "*",
        "--no-reload",
        "--interval",
        "0.2",
    ]
    env = {**os.environ, "OCR_PAGE_SECONDS": "900"}  # a measure of speed, not of the limit on a busy machine
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", help="a text PDF to scan (default: Valgrind's manual)")
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--grid", action="store_true", help="also other resolutions and one thread")
    parser.add_argument("--skip-worker", action="store_true", help="no end-to-end run")
    parser.add_argument("--skip-settings", action="store_true", help="only the end-to-end run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"OPENAI_API_KEY": "", "DATA_DIR": tmp})  # uploads go there
        if not os.environ.get("BENCH_DATABASE_URL"):  # the database stays in the checkout's server
            from docuchat.lib.embedded_pg import embedded_database_url

            os.environ["DATABASE_URL"] = embedded_database_url(BASE_DIR / "data" / "pg", DATABASE)
        from bench._setup import setup_django

        setup_django(DATABASE)
        data, source = real_pdf(args.real)
        scan, originals, numbers = make_scan(data, args.pages)
        say(f"OCR benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.1f}")
        say(f"Scan: {len(originals)} pages of {source} (pages {numbers[0]}..{numbers[-1]}), "
            f"{SCAN_DPI} dpi grayscale JPEG, {len(scan) / 1e6:.1f} MB")  # fmt: skip
        if not args.skip_settings:
            settings_table(scan, originals, args.grid)
        if not args.skip_worker:
            end_to_end(scan, originals, Path(tmp))
        say(f"Load average at the end: {os.getloadavg()[0]:.1f}")
    results = BASE_DIR / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"ocr-{datetime.now(UTC):%Y%m%d-%H%M%S}.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
