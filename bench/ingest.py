"""Ingestion benchmark: extraction, chunking, upload-to-ready, worker memory, and upload time.

    .venv/bin/python bench/ingest.py [--real PATH] [--pages 500]

With the offline embedder, for a real multi-hundred-page text PDF (Valgrind's manual from
/usr/share/doc when installed, else --real PATH, else a generated 400-page one) and a generated
500-page PDF, it prints:
- extraction pages/s with pypdfium2 and with pypdf on the same file, and their ratio;
- chunking tokens/s;
- end-to-end seconds from the upload request to the document being ready, through a real daphne
  server and a separate `manage.py db_worker` process;
- the worker's peak RSS (VmHWM) after all of it;
- the upload request time for a 25 MB PDF (median of 5, the worker paused meanwhile).
Everything runs in a separate database (docuchat_bench_ingest on the embedded server, or
BENCH_DATABASE_URL) and a temporary DATA_DIR. The report is also saved under bench/results/.
"""

import argparse
import gzip
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "docuchat_bench_ingest"
REAL_CANDIDATES = [
    "/usr/share/doc/valgrind/valgrind_manual.pdf.gz",
    "/usr/share/doc/valgrind/valgrind_manual.pdf",
]
TARGETS = {"extraction": 250.0, "ready_500": 10.0, "rss_mb": 400.0, "upload_ms": 300.0}
lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines.append(text)


def setup_django(tmp: Path) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
    os.environ.update(
        {
            "DEBUG": "false",
            "EMAIL_TO_LOGS_ALLOWED": "true",
            "SECRET_KEY": "bench-only",
            "OPENAI_API_KEY": "",
            "DATA_DIR": str(tmp),
        }
    )
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        from docuchat.lib.embedded_pg import embedded_database_url

        os.environ["DATABASE_URL"] = embedded_database_url(BASE_DIR / "data" / "pg", DATABASE)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


# --- The PDFs ---------------------------------------------------------------------------------
def real_pdf(given: str | None, tmp: Path) -> tuple[bytes, str]:
    for candidate in [given, *REAL_CANDIDATES]:
        if candidate and Path(candidate).exists():
            raw = Path(candidate).read_bytes()
            return (gzip.decompress(raw) if candidate.endswith(".gz") else raw), candidate
    return generated_pdf(400, seed=7), "generated (no real PDF found)"


def generated_pdf(pages: int, seed: int = 1) -> bytes:
    """Report-like pages: a heading and about 450 words of varied prose each."""
    import random

    from fpdf import FPDF

    rng = random.Random(seed)
    prose = (BASE_DIR / "README.md").read_text() + (BASE_DIR / "bench" / "ingest.py").read_text()
    vocabulary = [w.strip(".,;:()`*\"'") for w in prose.split() if w.isalpha()] + BENCH_WORDS * 3
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 13)
        pdf.cell(
            0,
            8,
            f"Section {number}: {' '.join(rng.sample(BENCH_WORDS, 4)).title()}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("helvetica", size=9)
        words = [w for w in (rng.choice(vocabulary) for _ in range(450)) if w.isascii()]
        pdf.multi_cell(0, 4.2, " ".join(words))
    return bytes(pdf.output())


WORD_TEXT = (
    "the of and to in is that for on with as by this be are from at or an it which can have "
    "pump valve pressure turbine maintenance inspection schedule safety procedure report revenue "
    "quarter forecast customer contract warranty clause liability payment invoice network server"
)
BENCH_WORDS = WORD_TEXT.split()


def pdf_of_about(megabytes: float, seed: int) -> bytes:
    """A valid PDF of about `megabytes`: text pages plus a page with an incompressible scan."""
    from fpdf import FPDF
    from PIL import Image

    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for number in range(10):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Page {number + 1} of the upload benchmark, seed {seed}. " * 40)
    pdf.add_page()
    pdf.image(noise, x=10, y=10, w=190)
    return bytes(pdf.output())


# --- In-process measurements ------------------------------------------------------------------
def extraction(data: bytes) -> tuple[float, float, list]:
    from pypdf import PdfReader

    from documents import pdf

    started = time.perf_counter()
    pages = list(pdf.extract_pages(data))
    pdfium_rate = len(pages) / (time.perf_counter() - started)
    started = time.perf_counter()
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text()
    pypdf_rate = len(reader.pages) / (time.perf_counter() - started)
    return pdfium_rate, pypdf_rate, pages


def chunking(pages: list) -> tuple[float, int, int]:
    from docuchat.lib.tokens import encoding
    from documents.chunking import chunk_pages

    encoding().encode("warm up")  # loading the tokenizer once is not chunking
    started = time.perf_counter()
    drafts = chunk_pages(pages)
    elapsed = time.perf_counter() - started
    tokens = sum(d.token_count for d in drafts)
    return tokens / elapsed, tokens, len(drafts)


# --- Through the real server and worker ---------------------------------------------------------
class Session:
    """A signed-in browser, as far as the server can tell: session cookie, CSRF token, htmx header."""

    def __init__(self, base_url: str) -> None:
        from django.test import Client

        from accounts.models import User
        from tenants.models import Tenant, create_tenant

        Tenant.objects.filter(slug="bench").delete()
        user = User.objects.for_email("bench@docuchat.test")
        create_tenant(name="Bench", slug="bench", owner=user)
        client = Client()
        client.force_login(user)
        self.url = f"{base_url}/t/bench/documents/"
        self.cookies = {"sessionid": client.cookies["sessionid"].value}
        with urllib.request.urlopen(self.request(), timeout=30) as page:  # noqa: S310 (our own server)
            cookie = SimpleCookie(page.headers.get_all("Set-Cookie")[0])
        self.cookies["csrftoken"] = cookie["csrftoken"].value

    def request(self, body: bytes | None = None, content_type: str = "") -> urllib.request.Request:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers.update(
                {"Content-Type": content_type, "X-CSRFToken": self.cookies["csrftoken"], "HX-Request": "true"}
            )
        method = "POST" if body else "GET"
        return urllib.request.Request(self.url, data=body, headers=headers, method=method)  # noqa: S310

    def upload(self, name: str, data: bytes) -> float:
        """POST one PDF as the browser does; return the request's seconds."""
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        body = encode_multipart(BOUNDARY, {"files": [SimpleUploadedFile(name, data, "application/pdf")]})
        request = self.request(body, MULTIPART_CONTENT)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own server)
            text = response.read().decode()
        elapsed = time.perf_counter() - started
        if "uploaded, queued" not in text:
            raise RuntimeError(f"{name} was not accepted: {text[:500]}")
        return elapsed


def wait_until(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def upload_to_ready(session: Session, name: str, data: bytes) -> tuple[float, object]:
    import hashlib

    from documents.models import Document

    digest = hashlib.sha256(data).hexdigest()
    started = time.perf_counter()
    session.upload(name, data)
    finished = {Document.Status.READY, Document.Status.FAILED}
    wait_until(lambda: Document.objects.filter(sha256=digest, status__in=finished).exists())
    elapsed = time.perf_counter() - started
    document = Document.objects.get(sha256=digest)
    if document.status != Document.Status.READY:
        raise RuntimeError(f"{name} failed: {document.error}")
    return elapsed, document


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", help="a real text PDF to use (default: Valgrind's manual if installed)")
    parser.add_argument("--pages", type=int, default=500, help="pages of the generated PDF (default 500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docuchat-bench-") as tmp_name:
        run(args, Path(tmp_name))
    results = BASE_DIR / "bench" / "results"
    results.mkdir(exist_ok=True)
    path = results / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.txt"
    path.write_text("\n".join(lines) + "\n")
    print(f"\n(saved to {path.relative_to(BASE_DIR)})")


def run(args: argparse.Namespace, tmp: Path) -> None:
    setup_django(tmp)
    from documents import registry

    real, source = real_pdf(args.real, tmp)
    pdfs = [(f"real: {source}", "real.pdf", real)]
    pdfs.append((f"generated: {args.pages} pages", "generated.pdf", generated_pdf(args.pages)))
    model = registry.default().name  # what a new workspace, as the benchmark's, indexes with
    now = datetime.now(UTC)
    say(f"Ingestion benchmark, {now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, embedder {model}")
    for label, _, data in pdfs:
        in_process(label, data)
    through_the_server(tmp, pdfs)


def in_process(label: str, data: bytes) -> None:
    pdfium_rate, pypdf_rate, pages = extraction(data)
    token_rate, tokens, chunks = chunking(pages)
    ok = verdict(pdfium_rate >= TARGETS["extraction"])
    say(f"\n{label} ({len(pages)} pages, {len(data) / 1e6:.1f} MB, {tokens} tokens, {chunks} chunks)")
    say(f"  extraction  pypdfium2 {pdfium_rate:6.0f} pages/s, pypdf {pypdf_rate:4.0f} pages/s,")
    say(f"              ratio {pdfium_rate / pypdf_rate:.1f}x  ({ok}: >= 250 pages/s)")
    say(f"  chunking    {token_rate:,.0f} tokens/s")


def through_the_server(tmp: Path, pdfs: list[tuple[str, str, bytes]]) -> None:
    from docuchat.testing import start_live_app, stop_live_app
    from documents.models import Document

    env = {"DATA_DIR": str(tmp), "OPENAI_API_KEY": "", "DEBUG": "false", "EMAIL_TO_LOGS_ALLOWED": "true"}
    app = start_live_app(tmp, worker=True, extra_env=env)
    worker = app.processes[1]
    try:
        session = Session(app.url)
        say("\nThrough daphne and a separate db_worker (upload request sent -> document ready):")
        for label, name, data in pdfs:
            elapsed, document = upload_to_ready(session, name, data)
            ok = f"  ({verdict(elapsed <= TARGETS['ready_500'])}: <= 10 s)" if "generated" in label else ""
            say(f"  {label}: ready in {elapsed:.2f} s ({document.chunks_total} chunks){ok}")
        timed_uploads(session, worker)
        wait_until(lambda: not Document.objects.filter(status__in=["queued", "processing"]).exists())
        rss = peak_rss_mb(worker.pid)
        say(f"  worker peak RSS (VmHWM): {rss:.0f} MB  ({verdict(rss < TARGETS['rss_mb'])}: < 400 MB)")
    finally:
        stop_live_app(app)


def timed_uploads(session: Session, worker: subprocess.Popen[bytes]) -> None:
    # The worker is paused meanwhile, so that it does not index one upload while the next is timed.
    worker.send_signal(signal.SIGSTOP)
    try:
        times = [session.upload(f"big-{i}.pdf", big) for i, big in enumerate(big_uploads())]
    finally:
        worker.send_signal(signal.SIGCONT)
    size = len(big_uploads()[0]) / (1024 * 1024)
    median = statistics.median(times) * 1000
    each = ", ".join(f"{t * 1000:.0f}" for t in times)
    ok = verdict(median < TARGETS["upload_ms"])
    say(f"  upload request, {size:.1f} MiB PDF: {median:.0f} ms, median of {len(times)} ({each})")
    say(f"    ({ok}: < 300 ms)")


@cache
def big_uploads(count: int = 5) -> list[bytes]:
    """Distinct PDFs of about 24.3 MiB (distinct, or the duplicate check would answer instead)."""
    base = pdf_of_about(24.3, seed=1)
    return [base + f"% bench run {i}\n".encode() for i in range(count)]


if __name__ == "__main__":
    main()
