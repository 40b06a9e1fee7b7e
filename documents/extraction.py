"""Reading a PDF in a child process, within limits of memory and time.

A PDF can be a bomb: a 0.7 MB file whose content stream inflates to 200 MB makes pdfium ask for
gigabytes, and 80 pages sharing one 10 MB stream hold a worker for half a minute. So the worker
never parses a PDF itself. It starts documents/extract_child.py for each run, which sets its own
RLIMIT_AS, and reads the child's page-by-page report here, killing it when it takes too long:

- MAX_EXTRACTION_SECONDS for the text layer of the whole document, MAX_PAGE_SECONDS for one page's;
- OCR_PAGE_SECONDS for one page read by OCR (OCR time is bounded by MAX_OCR_PAGES pages of it);
- MAX_EXTRACTION_MEMORY_MB of address space (plus OCR_ENGINE_MEMORY_MB for an OCR run).

Over a bound, `LimitExceeded` (a `PdfRejected`) says which one, in words for the uploader; the
child is gone and the worker goes on with its next document.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, Literal

from django.conf import settings

from documents.pdf import PdfRejected

Mode = Literal["text", "defer", "ocr"]
_EOF = object()
# Deaths that mean "out of memory": pdfium aborts when an allocation fails under RLIMIT_AS, and the
# kernel's OOM killer (a container's limit) sends SIGKILL.
_OUT_OF_MEMORY = {-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV, -signal.SIGBUS}


class LimitExceeded(PdfRejected):
    """The document went over a bound of memory or time; the message names it."""


@dataclass(frozen=True)
class Event:
    kind: Literal["start", "ocr", "page"]
    page: int
    text: str = ""
    source: str = ""  # for "page": text, ocr, none (OCR found nothing either) or scan (needs OCR)


@dataclass(frozen=True)
class Limits:
    text_seconds: float
    page_seconds: float
    ocr_page_seconds: float
    memory_mb: int

    @classmethod
    def from_settings(cls, mode: Mode) -> "Limits":
        memory = settings.MAX_EXTRACTION_MEMORY_MB + (settings.OCR_ENGINE_MEMORY_MB if mode == "ocr" else 0)
        return cls(
            text_seconds=settings.MAX_EXTRACTION_SECONDS,
            page_seconds=settings.MAX_PAGE_SECONDS,
            ocr_page_seconds=settings.OCR_PAGE_SECONDS,
            memory_mb=memory,
        )


class Extraction:
    """One child process reading one PDF. Use it as a context manager: leaving kills the child."""

    def __init__(self, path: str, mode: Mode, skip: Collection[int] = ()) -> None:
        self.mode = mode
        self.limits = Limits.from_settings(mode)
        self.lines: queue.Queue[Any] = queue.Queue()
        self.peak_rss_kb = 0  # the child's, as it reports when done
        request = {
            "path": path,
            "mode": mode,
            "skip": sorted(skip),
            "memory_mb": self.limits.memory_mb,
            "dpi": settings.OCR_DPI,
            "threads": settings.OCR_THREADS,
            "parent": os.getpid(),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "documents.extract_child"],
            cwd=settings.BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": str(settings.OCR_THREADS)},
            text=True,
            encoding="utf-8",
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        threading.Thread(target=_pump, args=(self.process.stdout, self.lines), daemon=True).start()
        try:
            self.process.stdin.write(json.dumps(request))
            self.process.stdin.close()
        except BrokenPipeError:  # it died at once: events() reports how
            pass

    def __enter__(self) -> "Extraction":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self._reap()

    def events(self) -> Iterator[Event]:
        """The child's events as they come; raises LimitExceeded or PdfRejected when it stops short.

        1. Each wait for the next event has a deadline: the page's limit (OCR_PAGE_SECONDS while
           a page is read by OCR, else MAX_PAGE_SECONDS or what is left of MAX_EXTRACTION_SECONDS).
           Starting the process and opening the file only count against MAX_EXTRACTION_SECONDS.
        2. Time outside OCR adds up against MAX_EXTRACTION_SECONDS; time this generator's caller
           spends (saving a page) is not the child's and counts for neither.
        """
        text_used, activity, page = 0.0, "open", 0
        since = time.monotonic()
        while True:
            limit = self._limit(activity, text_used)
            try:
                line = self.lines.get(timeout=max(0.0, since + limit - time.monotonic()))
            except queue.Empty:
                raise self._too_slow(activity, page, text_used + time.monotonic() - since) from None
            if activity != "ocr":
                text_used += time.monotonic() - since
            if line is _EOF:
                self._ended(page)
                return
            event = json.loads(line)
            kind = event["event"]
            if kind == "done":
                self.peak_rss_kb = event["peak_rss_kb"]
                return
            if kind in ("rejected", "memory"):
                self.stop()
                raise self._failure(event)
            if kind != "open":
                page, activity = event["page"], "ocr" if kind == "ocr" else "text"
                yield Event(kind=kind, page=page, text=event.get("text", ""), source=event.get("source", ""))
            else:
                activity = "text"
            since = time.monotonic()

    def _limit(self, activity: str, text_used: float) -> float:
        if activity == "ocr":
            return self.limits.ocr_page_seconds
        if activity == "open":
            return self.limits.text_seconds - text_used
        return min(self.limits.page_seconds, self.limits.text_seconds - text_used)

    def _too_slow(self, activity: str, page: int, text_used: float) -> LimitExceeded:
        self.stop()
        limits = self.limits
        if activity == "ocr":
            return LimitExceeded(
                f"Reading page {page} by OCR took longer than the {limits.ocr_page_seconds:g}-second "
                "limit for a page."
            )
        if text_used >= limits.text_seconds:
            reached = f" (it had reached page {page})" if page else ""
            return LimitExceeded(
                f"Reading this PDF took longer than the {limits.text_seconds:g}-second limit for a "
                f"document{reached}."
            )
        return LimitExceeded(
            f"Reading page {page} took longer than the {limits.page_seconds:g}-second limit for a page."
        )

    def _failure(self, event: dict[str, Any]) -> PdfRejected:
        if event["event"] == "rejected":
            return PdfRejected(event["message"])
        return self._memory(event["page"])

    def _memory(self, page: int) -> LimitExceeded:
        where = f"page {page}" if page else "this PDF"
        return LimitExceeded(f"Reading {where} needed more than the {self.limits.memory_mb} MB memory limit.")

    def _ended(self, page: int) -> None:
        """The child closed its output without saying it was done: it died."""
        code = self._reap()
        if code in _OUT_OF_MEMORY:
            raise self._memory(page)
        raise RuntimeError(f"The extraction process stopped on page {page} with exit code {code}.")

    def _reap(self) -> int:
        """Wait for the child; its exit code (negative: the signal that ended it)."""
        return self.process.wait()


def _pump(stream: IO[str], lines: "queue.Queue[Any]") -> None:
    """Move the child's lines into a queue, so that the reader can wait with a timeout."""
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(_EOF)
        stream.close()
