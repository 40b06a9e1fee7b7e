"""The extraction child: reads one PDF within the memory its parent allows, reporting page by page.

documents/extraction.py starts it as `python -m documents.extract_child` (no Django here) and
writes one JSON request to its stdin:

    {"path": "...", "mode": "text" | "defer" | "ocr", "skip": [page numbers], "memory_mb": 1024,
     "dpi": 72, "threads": 2, "parent": <the worker's pid>}

Modes: "text" reads the text layer only; "defer" also reports each page whose text layer is empty
or nearly so as a scan, for a later OCR run; "ocr" reads such pages by OCR. Pages in "skip" were
stored by an earlier run and are not read again.

It answers with JSON lines on its stdout (anything else that writes to stdout goes to stderr):

    {"event": "open", "pages": 12}                     the file is open (starting took its time)
    {"event": "start", "page": 3}                      before reading page 3's text layer
    {"event": "ocr", "page": 3}                        before reading page 3 by OCR
    {"event": "page", "page": 3, "text": "...", "source": "text" | "ocr" | "none" | "scan"}
    {"event": "rejected", "message": "..."}            the file, or a page of it, cannot be read
    {"event": "memory", "page": 3}                     a page needed more than memory_mb
    {"event": "done", "peak_rss_kb": 123456}          its peak resident memory

The parent enforces the time limits by killing it; the memory limit is its own RLIMIT_AS, so
pdfium or onnxruntime run out of memory here, never in the worker.
"""

import ctypes
import json
import os
import re
import resource
import signal
import sys
from typing import IO, Any

from documents import pdf

WORD = re.compile(r"\w")
NEARLY_EMPTY = 20  # fewer word characters than this on a page: read it by OCR


def main() -> int:
    request = json.loads(sys.stdin.read())
    out = _protocol_stream()
    _limit_memory(request["memory_mb"])
    _die_with_parent(request["parent"])
    page = 0

    def emit(**event: Any) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    try:
        for page, text, source in read(request, emit):
            emit(event="page", page=page, text=text, source=source)
    except pdf.PdfRejected as exc:
        emit(event="rejected", message=str(exc))
    except MemoryError:
        emit(event="memory", page=page)
    except Exception as exc:
        if "bad_alloc" not in str(exc):  # onnxruntime's C++ allocation failure
            raise
        emit(event="memory", page=page)
    else:
        emit(event="done", peak_rss_kb=_peak_rss_kb())
    return 0


def read(request: dict[str, Any], emit: Any) -> Any:
    """Yield (page number, text, source) for each page not skipped."""
    mode, skip = request["mode"], set(request["skip"])
    reader = None
    document = pdf.open_pdf(request["path"])
    emit(event="open", pages=len(document))
    try:
        for index in range(len(document)):
            number = index + 1
            if number in skip:
                continue
            emit(event="start", page=number)
            text = pdf.page_text(document, index)
            if mode == "text" or not needs_ocr(text):
                yield number, text, "text"
            elif mode == "defer":
                yield number, text, "scan"
            else:
                emit(event="ocr", page=number)
                reader = reader or _reader(request)
                yield number, *better(text, _ocr(reader, document, index))
    finally:
        document.close()


def needs_ocr(text: str) -> bool:
    return len(WORD.findall(text)) < NEARLY_EMPTY


def better(layer: str, ocr: str) -> tuple[str, str]:
    """The page's text and its source: OCR's unless the text layer had more words."""
    if len(WORD.findall(ocr)) > len(WORD.findall(layer)):
        return ocr, "ocr"
    if WORD.search(layer):
        return layer, "text"
    return "", "none"


def _ocr(reader: Any, document: Any, index: int) -> str:
    import pypdfium2 as pdfium

    try:
        return pdf.clean(reader.read(document[index]))
    except pdfium.PdfiumError as exc:
        raise pdf.PdfRejected(f"Page {index + 1} of this PDF is damaged and cannot be read.") from exc


def _reader(request: dict[str, Any]) -> Any:
    from documents.ocr import Reader

    return Reader(dpi=request["dpi"], threads=request["threads"])


def _peak_rss_kb() -> int:
    # /proc's VmHWM is this process's own; getrusage's ru_maxrss counts the parent's before exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _protocol_stream() -> IO[str]:
    """Our stdout for the protocol alone: file descriptor 1 then points at stderr, so that a
    library printing something cannot corrupt it."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent(parent: int) -> None:
    """If the worker dies (killed, or a deploy), this process dies with it (Linux prctl)."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the broken pipe ends it at its next write
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
