"""The ingestion pipeline: one run turns a queued document into searchable chunks.

1. Claim: a conditional update moves the document from queued to processing under a fresh lease
   token. A duplicate task, or a second worker, finds nothing to claim and stops.
2. Extract the text of each page with pypdfium2 (progress: pages done of page count).
3. Chunk it with tiktoken; every chunk knows its first and last page.
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
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from documents import chunking, index, live, pdf, vectors
from documents.embeddings import EmbeddingError, Embeddings
from documents.models import Chunk, Document, DocumentVectors, VectorStore
from documents.queueing import enqueue
from usage import metering, quotas
from usage.metering import cost_of

logger = logging.getLogger(__name__)

Status = Document.Status
Listener = Callable[[Document], None]
NO_TEXT = "no extractable text; OCR is not supported"
UNEXPECTED = "Indexing stopped on an unexpected error; the worker's log has the details."
PROGRESS_FIELDS = ("page_count", "pages_done", "chunks_total", "chunks_embedded")
_WORD = re.compile(r"\w")


class RunAborted(Exception):
    """The document was deleted or is no longer this run's: stop without writing."""


class IngestFailed(Exception):
    """The document cannot be indexed; the message is shown as its failure reason."""


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


def ingest(document_id: int, listener: Listener | None = None) -> Document | None:
    """Run the pipeline for one document; None when there was nothing to claim (or it vanished)."""
    run = claim(document_id, listener)
    if run is None:
        return None
    with heartbeat(run):
        try:
            _process(run)
        except RunAborted:
            logger.info("Document %s was deleted or taken over; run stopped.", document_id)
            return None
        except WaitingForBudget as exc:
            wait_for_budget(run, exc)
        except EmbeddingError as exc:
            _meter(run, exc.partial)  # batches that went through were paid for
            fail(run, str(exc))
        except (pdf.PdfRejected, IngestFailed) as exc:
            fail(run, str(exc))
        except Exception:
            logger.exception("Ingesting document %s failed", document_id)
            fail(run, UNEXPECTED)
            raise
    return run.document


def claim(document_id: int, listener: Listener | None = None) -> Run | None:
    token = uuid.uuid4()
    claimed = Document.objects.filter(pk=document_id, status=Status.QUEUED).update(
        status=Status.PROCESSING,
        lease_token=token,
        lease_expires=lease_until(),
        pages_done=0,
        chunks_total=0,
        chunks_embedded=0,
        error="",
        budget_wait_until=None,
        updated=timezone.now(),
    )
    if not claimed:
        return None
    document = Document.objects.select_related("tenant", "queued_by").get(pk=document_id)
    run = Run(document, token, listener)
    run.announce()
    return run


def _process(run: Run) -> None:
    pages = _extract(run)
    drafts = chunking.chunk_pages(pages)
    if not any(_WORD.search(draft.text) for draft in drafts):
        raise IngestFailed(NO_TEXT)
    run.progress(force=True, page_count=len(pages), pages_done=len(pages), chunks_total=len(drafts))
    results: dict[VectorStore, Embeddings] = {}
    tokens = sum(draft.token_count for draft in drafts)
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
            results[store] = embedder.embed([draft.text for draft in drafts], on_batch=embedded)
        except EmbeddingError:
            _meter(run, *results.values())
            results.clear()
            raise


@contextmanager
def _budget(run: Run, tokens: int, cost: Decimal) -> Iterator[None]:
    document = run.document
    try:
        reservation = quotas.reserve(document.tenant, document.queued_by, tokens, cost)
    except quotas.QuotaExceeded as exc:
        raise WaitingForBudget(exc) from exc
    with quotas.released(reservation):
        yield


def _extract(run: Run) -> list[pdf.Page]:
    pages = []
    with _source(run.document) as source:
        for page in pdf.extract_pages(source):
            pages.append(page)
            run.progress(pages_done=page.number)
    return pages


@contextmanager
def _source(document: Document) -> Iterator[pdf.Source]:
    """A local path to the PDF, so pypdfium2 reads it lazily: the storage's own path, or (object
    storage, the only copy) a temporary file the object is streamed into."""
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
        shutil.copyfileobj(handle, copy, 1024 * 1024)
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
            vectors.insert(store, [(c.tenant_id, c.pk, c.document_id, v) for c, v in pairs])
            DocumentVectors.objects.create(document=document, store=store, tokens=results[store].tokens)
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
                document.tenant, document.queued_by, kind, result.model, result.tokens, document=document
            )


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
        )


def _mark_ready(document: Document, store: VectorStore, tokens: int) -> None:
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
              "pages_done": 0, "chunks_embedded": 0}  # fmt: skip
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
                run.owned().update(lease_expires=lease_until())
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"lease-{run.document.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
