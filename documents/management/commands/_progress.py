"""Progress and summaries for the ingestion commands."""

from dataclasses import dataclass

from django.core.management.base import OutputWrapper

from documents.models import Document


def describe(document: Document) -> str:
    if document.status == Document.Status.PROCESSING:
        if document.chunks_total:
            return f"embedding {document.chunks_embedded}/{document.chunks_total} chunks"
        ocr = " (OCR)" if document.reading_by_ocr else ""
        return f"reading page {document.pages_done}/{document.page_count}{ocr}"
    return document.get_status_display().lower()


class ProgressLine:
    """A listener for pipeline.ingest: rewrites one line on a terminal, prints each phase otherwise."""

    def __init__(self, stdout: OutputWrapper, label: str) -> None:
        self.stdout = stdout
        self.label = label
        self.tty = stdout.isatty()
        self.phase = ""

    def __call__(self, document: Document) -> None:
        text = describe(document)
        if self.tty:
            self.stdout.write(f"\r{self.label} {text}\x1b[K", ending="")
            self.stdout.flush()
            return
        phase = text.split(" ", 1)[0]
        if phase != self.phase:
            self.phase = phase
            self.stdout.write(f"{self.label} {text}")

    def clear(self) -> None:
        if self.tty:
            self.stdout.write("\r\x1b[K", ending="")


@dataclass
class Result:
    name: str
    state: str  # "ok", "queued", "skipped" or "failed"
    detail: str

    @property
    def failed(self) -> bool:
        return self.state == "failed"


def summarise(stdout: OutputWrapper, style: object, results: list[Result]) -> None:
    marks = {"ok": "OK", "queued": "QUEUED", "skipped": "SKIPPED", "failed": "FAILED"}
    for result in results:
        line = f"{marks[result.state]:>7}  {result.name}: {result.detail}"
        color = style.ERROR if result.failed else style.SUCCESS if result.state == "ok" else style.WARNING  # type: ignore[attr-defined]
        stdout.write(color(line))
    counts = {state: sum(r.state == state for r in results) for state in marks}
    stdout.write(", ".join(f"{n} {state}" for state, n in counts.items() if n) or "nothing to do")


def ready_detail(document: Document) -> Result:
    if document.status == Document.Status.READY:
        detail = (
            f"{document.page_count} pages, {document.chunks_total} chunks, {document.embedding_tokens} tokens"
        )
        return Result(document.original_name or document.title, "ok", detail)
    if document.status == Document.Status.QUEUED:  # waiting for budget: it resumes by itself
        return Result(document.original_name or document.title, "queued", document.error)
    return Result(document.original_name or document.title, "failed", document.error or document.status)
