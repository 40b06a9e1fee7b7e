"""The ingestion pipeline: one run turns a queued document into searchable chunks.

1. Claim: a conditional update moves the document from queued to processing under a fresh lease
   token. A duplicate task, or a second worker, finds nothing to claim and stops.
2. Extract the text of each page with pypdfium2, in a child process within limits of memory and
   time (documents/extraction.py), storing each page as it comes (documents/pages.py); pages
   stored by an earlier run are not read again (progress: pages done of page count). Pages
   whose text layer is empty or nearly so are for OCR: a run from the default queue (Stage.TEXT)
   hands the document to the "ocr" queue, whose run (Stage.OCR) reads them by OCR, one by one
   (progress: "reading page 37 of 300 (OCR)"), then goes on as below.
3. Chunk the stored pages with tiktoken; every chunk knows its first and last page.
4. Reserve the chunks' tokens against the tenant's budgets (usage/quotas.py). Over budget, the
   document goes back to the queue saying why, with a task deferred to the budget's reset; raising
   the budget resumes it sooner (usage/signals.py). Nothing is paid for before this check.
   Then embed the chunks in batches (progress: chunks embedded of chunks total), with the
   workspace's embedding model, and while it switches models (documents/switching.py) with the
   new one too.
5. Commit, in one transaction: check that the lease is still ours, delete the document's old
   chunks (their vectors go with them), insert the new ones and their vectors in each model's
   table (documents/vectors.py), mark it ready and meter the embedding tokens. Search sees the old
   chunks or the new ones, never a mix, and a re-run never duplicates them. A switch that began
   during the run sends it back to step 4 for the new model first.

While the run lives, a heartbeat thread renews the lease (documents/recovery.py re-queues a
document whose lease ran out because its worker died). Every progress write is conditional on
the lease token, so a run whose document was deleted or taken over stops at its next write.
"""

import logging
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from docuchat.lib.dbwait import OUTAGE_ERRORS
from documents import chunking, index, live, pages, pdf, statistics, vectors, windows
from documents.embeddings import EmbeddingError, Embeddings
from documents.extraction import Extraction, Mode
from documents.models import Chunk, Document, DocumentVectors, VectorStore
from documents.queueing import enqueue
from usage import metering, quotas
from usage.metering import cost_of

logger = logging.getLogger(__name__)
# Sent once a document's run commits it as ready (sender=Document; `document`, and `again`: it had
# been ready before, so this run re-indexed it). The evaluation app scores retrieval again after a
# re-index (issue 11).
document_ready = Signal()

Status = Document.Status
Listener = Callable[[Document], None]
NO_TEXT = "This PDF has no text layer (it is a scan or pictures), and OCR is turned off on this server."
NO_TEXT_AFTER_OCR = (
    "No page of this PDF has text, even read by OCR: its pages are blank, or pictures without words."
)
UNEXPECTED = "Indexing stopped on an unexpected error; the worker's log has the details."
PROGRESS_FIELDS = ("page_count", "pages_done", "ocr_pages", "ocr_done", "chunks_total", "chunks_embedded")
SAVE_EVERY = 100  # text-layer pages are stored in batches of this many; OCR pages one by one
_WORD = re.compile(r"\w")


class Stage(StrEnum):
    """What a run does: its task's queue decides (documents/tasks.py)."""

    TEXT = "text"  # default queue: the text layer; a document with pages to OCR goes to the OCR queue
    OCR = "ocr"  # "ocr" queue: the pages to OCR, then chunks and embeddings
    ALL = "all"  # both in one run (`manage.py ingest` and `reindex`, which index inline)


class RunAborted(Exception):
    """The document was deleted or is no longer this run's: stop without writing."""


class IngestFailed(Exception):
    """The document cannot be indexed; the message is shown as its failure reason."""


class HandedToOcr(Exception):
    """The document has pages to OCR and went to the OCR queue; this run is over."""


class WaitingForBudget(Exception):
    """Embedding would exceed a budget: the document waits, queued, until it resets or is raised."""

    def __init__(self, exceeded: quotas.QuotaExceeded) -> None:
        super().__init__(f"Waiting for budget: {exceeded}")
        self.resets_at = exceeded.resets_at


def lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)


@dataclass
class Run:
    document: Document
    token: uuid.UUID
    stage: Stage = Stage.TEXT
    listener: Listener | None = None
    throttle: live.Throttle = field(default_factory=live.Throttle)

    def progress(self, *, force: bool = False, **fields: Any) -> None:
        """Record progress in memory; write and push it at most a few times a second."""
        for name, value in fields.items():
            setattr(self.document, name, value)
        if not self.throttle.ready(force=force):
            return
        values = {name: getattr(self.document, name) for name in PROGRESS_FIELDS}
        if not self.owned().update(**values, lease_expires=lease_until(), updated=timezone.now()):
            raise RunAborted
        self.announce()

    def owned(self) -> Any:
        return Document.objects.filter(pk=self.document.pk, lease_token=self.token)

    def announce(self) -> None:
        live.push_state(self.document)
        if self.listener:
            self.listener(self.document)


def ingest(document_id: int, listener: Listener | None = None, stage: Stage = Stage.TEXT) -> Document | None:
    """Run the pipeline for one document; None when there was nothing to claim (or it vanished)."""
    run = claim(document_id, listener, stage)
    if run is None:
        return None
    with heartbeat(run):
        try:
            _process(run)
        except RunAborted:
            logger.info("Document %s was deleted or taken over; run stopped.", document_id)
            return None
        except HandedToOcr:
            pass
        except WaitingForBudget as exc:
            wait_for_budget(run, exc)
        except EmbeddingError as exc:
            _meter(run, exc.partial)  # batches that went through were paid for
            fail(run, str(exc))
        except (pdf.PdfRejected, IngestFailed) as exc:
            fail(run, str(exc))
        except OUTAGE_ERRORS:
            # Not the document's fault: it stays claimed under a lease that no longer renews, and
            # once the database is back the recovery sweep queues it again (documents/recovery.py).
            logger.warning(
                "Database unavailable while ingesting document %s; it will be retried.", document_id
            )
            raise
        except Exception:
            logger.exception("Ingesting document %s failed", document_id)
            fail(run, UNEXPECTED)
            raise
    return run.document


def claim(document_id: int, listener: Listener | None = None, stage: Stage = Stage.TEXT) -> Run | None:
    """Take a queued document for this run's stage; every claim counts as an attempt."""
    token = uuid.uuid4()
    queued = Document.objects.filter(pk=document_id, status=Status.QUEUED)
    if stage == Stage.TEXT:
        queued = queued.filter(ocr_pages=0)
    elif stage == Stage.OCR:
        queued = queued.filter(ocr_pages__gt=0)
    claimed = queued.update(
        status=Status.PROCESSING,
        lease_token=token,
        lease_expires=lease_until(),
        attempts=F("attempts") + 1,
        pages_done=0,
        chunks_total=0,
        chunks_embedded=0,
        error="",
        budget_wait_until=None,
        updated=timezone.now(),
    )
    if not claimed:
        return None
    document = Document.objects.select_related("tenant", "queued_by", "queued_by_key").get(pk=document_id)
    run = Run(document, token, stage, listener)
    run.announce()
    return run


def _process(run: Run) -> None:
    _extract(run)
    stored = pages.for_chunking(run.document)
    drafts = chunking.chunk_pages(stored)
    if not any(_WORD.search(draft.text) for draft in drafts):
        raise IngestFailed(NO_TEXT_AFTER_OCR if settings.MAX_OCR_PAGES else NO_TEXT)
    run.progress(force=True, pages_done=run.document.page_count, chunks_total=len(drafts))
    results: dict[VectorStore, Embeddings] = {}
    tokens = sum(draft.indexed_tokens for draft in drafts)  # with their headings, as they are embedded
    try:
        missing = _commit(run, drafts, results)  # nothing embedded yet: which models are needed
        while missing:  # reserved until the tokens are recorded, in the commit
            cost = sum((cost_of(store.model, tokens, 0) for store in missing), Decimal(0))
            with _budget(run, tokens * len(missing), cost):
                _embed(run, drafts, missing, results)
                missing = _commit(run, drafts, results)
    except WaitingForBudget:
        _meter(run, *results.values())  # what was embedded before the wait was paid for
        raise


def _embed(
    run: Run, drafts: list[chunking.Draft], stores: list[VectorStore], results: dict[VectorStore, Embeddings]
) -> None:
    """Embed the chunks with each store's model: the workspace's, and the one it is switching to."""
    try:
        embedders = [(store, index.embedder_for(store)) for store in stores]
    except index.ModelUnavailable as exc:
        raise IngestFailed(str(exc)) from exc
    done = 0

    def embedded(count: int) -> None:
        nonlocal done
        done += count
        run.progress(chunks_embedded=done // len(embedders))

    for store, embedder in embedders:
        try:
            texts = [draft.indexed_text for draft in drafts]  # with the heading in force
            results[store] = embedder.embed(texts, on_batch=embedded)
            results[store].windows = windows.compute(embedder, texts)  # offline models only
        except EmbeddingError:
            _meter(run, *results.values())
            results.clear()
            raise


@contextmanager
def _budget(run: Run, tokens: int, cost: Decimal) -> Iterator[None]:
    document = run.document
    try:
        budgets = document.queued_by_key.budgets() if document.queued_by_key else ()
        reservation = quotas.reserve(document.tenant, document.queued_by, tokens, cost, budgets)
    except quotas.QuotaExceeded as exc:
        raise WaitingForBudget(exc) from exc
    with quotas.released(reservation):
        yield


def _extract(run: Run) -> None:
    """Read and store every page not stored yet: the text layer, then (stage permitting) OCR.

    1. Unless this is the OCR stage, read the text layers. Pages that need OCR are not stored:
       their count goes to ocr_pages, refused over MAX_OCR_PAGES.
    2. The text stage hands such a document to the OCR queue here; the others read those pages
       by OCR, storing each as soon as it is read.
    """
    document = run.document
    ocr_on = settings.MAX_OCR_PAGES > 0
    if run.stage != Stage.OCR:
        scans = _read(run, "defer" if ocr_on else "text")
        if scans:
            _check_ocr_limit(scans)
            if run.stage == Stage.TEXT:
                hand_to_ocr(run, scans)
            run.progress(force=True, ocr_pages=scans, ocr_done=0)
    if run.stage != Stage.TEXT and document.ocr_pages:
        left = document.page_count - len(pages.stored_numbers(document))
        run.progress(force=True, ocr_done=max(0, document.ocr_pages - left))
        _read(run, "ocr")


def _read(run: Run, mode: Mode) -> int:
    """One pass of the extraction child over the pages not stored; the number of scans found."""
    document, scans, by_ocr, ocr_page = run.document, 0, 0, 0
    batch: list[pages.Read] = []
    with _source(document) as path, Extraction(path, mode, pages.stored_numbers(document)) as child:
        for event in child.events():
            if event.kind == "start":
                run.progress(pages_done=event.page)
            elif event.kind == "ocr":
                run.progress(force=True, pages_done=event.page)
                by_ocr, ocr_page = by_ocr + 1, event.page
            elif event.source == "scan":
                scans += 1
            elif event.page == ocr_page:  # read by OCR: stored at once, never read again
                _save(run, [pages.Read(event.page, event.text, event.source)])
                run.progress(force=True, ocr_done=document.ocr_done + 1)
            elif _WORD.search(event.text):  # an empty text layer is read again: OCR may be turned on
                batch.append(pages.Read(event.page, event.text, event.source))
                if len(batch) >= SAVE_EVERY:
                    _save(run, batch)
        _save(run, batch)
    peak = child.peak_rss_kb // 1024
    log = logger.info if by_ocr else logger.debug  # a text pass is quick and says nothing
    log("Document %s, %s pass: %s pages by OCR; peak RSS %s MB", document.pk, mode, by_ocr, peak)
    return scans


def _save(run: Run, batch: list[pages.Read]) -> None:
    if not pages.save(run.document, run.owned(), batch):
        raise RunAborted
    batch.clear()


def _check_ocr_limit(scans: int) -> None:
    limit = settings.MAX_OCR_PAGES
    if scans > limit:
        most = f"{limit} page" if limit == 1 else f"{limit} pages"
        raise IngestFailed(
            f"This PDF has {scans} pages without a text layer (scanned); OCR reads at most {most} of "
            "a document."
        )


def hand_to_ocr(run: Run, scans: int) -> None:
    """Back to the queue, on the OCR queue's side, with its text-layer pages stored."""
    fields = {"status": Status.QUEUED, "ocr_pages": scans, "ocr_done": 0, "attempts": 0, "pages_done": 0}
    with transaction.atomic():
        if not run.owned().update(**fields, lease_token=None, lease_expires=None, updated=timezone.now()):
            raise RunAborted
        enqueue(run.document.pk, ocr=True)
    for name, value in fields.items():
        setattr(run.document, name, value)
    run.announce()
    raise HandedToOcr


@contextmanager
def _source(document: Document) -> Iterator[str]:
    """A local path to the PDF: the storage's own, else a temporary copy (for the child to read)."""
    if not document.file or not document.file.storage.exists(document.file.name):
        raise IngestFailed("The uploaded file is missing from storage; upload it again.")
    try:
        path = document.file.path
    except NotImplementedError:
        path = ""
    if path:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".pdf") as copy, document.file.open("rb") as handle:
        for piece in handle.chunks():
            copy.write(piece)
        copy.flush()
        yield copy.name


def _commit(
    run: Run, drafts: list[chunking.Draft], results: dict[VectorStore, Embeddings]
) -> list[VectorStore]:
    """Replace the document's chunks and their vectors in one transaction; mark it ready.

    The workspace's index row is locked FOR SHARE meanwhile, so a switch (FOR UPDATE) happens
    wholly before or after: the chunks get vectors of exactly the models the workspace needs then
    (its own, and the one it is switching to). If that is a model not embedded yet (a switch
    began during this run), nothing is written and that model is returned to embed first.
    """
    document = run.document
    with transaction.atomic():
        if not run.owned().select_for_update().exists():
            raise RunAborted
        needed = index.stores_to_fill(index.locked(document.tenant_id, share=True))
        if missing := [store for store in needed if store not in results]:
            return missing
        Chunk.objects.filter(tenant_id=document.tenant_id, document_id=document.pk).delete()
        chunks = Chunk.objects.bulk_create(_chunks(document, drafts), batch_size=500)
        DocumentVectors.objects.filter(document=document).delete()
        for store in needed:
            pairs = zip(chunks, results[store].vectors, strict=True)
            rows = [(c.tenant_id, c.pk, c.document_id, v) for c, v in pairs]
            vectors.insert(store, rows, windows=results[store].windows)
            DocumentVectors.objects.create(document=document, store=store, tokens=results[store].tokens)
        statistics.analyze_chunks(document.tenant_id)  # search ranks well from the first question
        _mark_ready(document, needed[0], sum(result.tokens for result in results.values()))
        _meter(run, *results.values())
    run.announce()
    return []


def _meter(run: Run, *results: Embeddings) -> None:
    document = run.document
    for result in results:
        if result.tokens:
            kind = metering.Kind.DOCUMENT_EMBEDDING
            metering.record(
                document.tenant, document.queued_by, kind, result.model, result.tokens, document=document,
                api_key_id=document.queued_by_key_id,
            )  # fmt: skip


def _chunks(document: Document, drafts: list[chunking.Draft]) -> Iterator[Chunk]:
    for draft in drafts:
        yield Chunk(
            tenant_id=document.tenant_id,
            document_id=document.pk,
            ordinal=draft.ordinal,
            text=draft.text,
            page_start=draft.page_start,
            page_end=draft.page_end,
            token_count=draft.token_count,
            page_breaks=[list(b) for b in draft.page_breaks],
            contents=draft.contents,
            heading=draft.heading,
        )


def _mark_ready(document: Document, store: VectorStore, tokens: int) -> None:
    again = document.processed is not None  # it was ready before: this run re-indexed it
    document.status = Status.READY
    document.chunks_embedded = document.chunks_total
    document.embedding_model = store.model
    document.embedding_tokens = tokens
    document.processed = timezone.now()
    document.lease_token = document.lease_expires = None
    document.save(
        update_fields=[
            "status",
            *PROGRESS_FIELDS,
            "embedding_model",
            "embedding_tokens",
            "processed",
            "lease_token",
            "lease_expires",
            "updated",
        ]
    )
    transaction.on_commit(lambda: _announce_ready(document, again))


def _announce_ready(document: Document, again: bool) -> None:
    for receiver, error in document_ready.send_robust(sender=Document, document=document, again=again):
        if isinstance(error, Exception):
            logger.error("%s failed after document %s was indexed: %s", receiver, document.pk, error)


def fail(run: Run, reason: str) -> None:
    now = timezone.now()
    fields = {"status": Status.FAILED, "error": reason[:2000], "processed": now}
    if run.owned().update(**fields, lease_token=None, lease_expires=None, updated=now):
        for name, value in fields.items():
            setattr(run.document, name, value)
        run.announce()


def wait_for_budget(run: Run, exc: WaitingForBudget) -> None:
    """Back to the queue, saying why, with a task deferred to the budget's reset."""
    fields = {"status": Status.QUEUED, "error": str(exc)[:2000], "budget_wait_until": exc.resets_at,
              "pages_done": 0, "chunks_embedded": 0, "attempts": 0}  # fmt: skip
    with transaction.atomic():
        if not run.owned().update(**fields, lease_token=None, lease_expires=None, updated=timezone.now()):
            return
        enqueue(run.document.pk, run_after=exc.resets_at)
    for name, value in fields.items():
        setattr(run.document, name, value)
    run.announce()


@contextmanager
def heartbeat(run: Run) -> Iterator[None]:
    """Renew the run's lease every third of DOCUMENT_LEASE_SECONDS until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.DOCUMENT_LEASE_SECONDS / 3):
                try:
                    run.owned().update(lease_expires=lease_until())
                except OUTAGE_ERRORS:  # a database restart: try again at the next beat
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"lease-{run.document.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
