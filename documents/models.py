import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone

from tenants.models import Tenant


def cascade_within_tenant(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """CASCADE for the chunk table, naming the tenants of the documents being deleted.

    Plain CASCADE deletes chunks `WHERE document_id IN (...)`, which PostgreSQL must look for in
    every one of the table's 64 partitions; with `tenant_id IN (...)` too it prunes to the
    partitions of those tenants (one, for one document). The chunks have no dependents and no
    signals, so they are deleted in one statement, as CASCADE's fast path would.
    """
    documents = [obj.pk for obj in collector.data.get(field.related_model, ())]
    tenants = Document.objects.using(using).filter(pk__in=documents).values_list("tenant_id", flat=True)
    collector.fast_deletes.append(sub_objs.filter(tenant_id__in=sorted(set(tenants))))


cascade_within_tenant.lazy_sub_objs = True  # type: ignore[attr-defined]  # no query to test for rows


def upload_path(document: "Document", filename: str) -> str:
    # Files are named by their opaque id, never by the user's file name.
    return f"tenants/{document.tenant_id}/documents/{document.public_id}.pdf"


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="documents")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Or the API key it was uploaded with (api/routes/documents.py).
    uploaded_by_key = models.ForeignKey(
        "api.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to=upload_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    pages_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_embedded = models.PositiveIntegerField(default=0)
    embedding_model = models.CharField(max_length=100, blank=True)
    embedding_tokens = models.PositiveBigIntegerField(default=0)
    # Who asked for the current (or last) indexing run: the uploader, or whoever re-indexed it.
    # Its embedding tokens are metered to them; None for operators (commands, admin).
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The API key it was uploaded (or sent again) with, when that asked for the run: its embedding
    # tokens are metered to the key too, within the key's own budget (api/models.py).
    queued_by_key = models.ForeignKey(
        "api.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The lease of the run that holds this document while it is processing (see documents/recovery.py):
    # the worker renews lease_expires while it is alive, and writes only while lease_token is its own.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while the document waits (queued, `error` saying why) for its tenant's budget to reset or
    # be raised: the quota is checked before any embedding is paid for (see usage/quotas.py).
    budget_wait_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Pages whose text layer is empty or nearly so, found by the text pass: the document then goes
    # to the OCR queue (documents/queueing.py), and ocr_done counts the ones read so far.
    ocr_pages = models.PositiveIntegerField(default=0)
    ocr_done = models.PositiveIntegerField(default=0)
    # Runs started since the document was last queued on purpose; a run whose worker died counts.
    # The recovery sweep fails the document after MAX_INDEXING_ATTEMPTS of them.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    processed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The duplicate check on upload: one copy of a file per tenant.
            models.UniqueConstraint(fields=["tenant", "sha256"], name="document_unique_sha256"),
        ]
        indexes = [
            # The Documents page: a tenant's documents, newest first.
            models.Index(fields=["tenant", "-created"], name="document_tenant_created"),
            # The worker's recovery sweep: documents left queued or processing.
            models.Index(fields=["status"], name="document_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.PROCESSING)

    @property
    def reading_by_ocr(self) -> bool:
        """Processing, and reading pages by OCR (not yet embedding)."""
        return self.status == self.Status.PROCESSING and self.ocr_pages > 0 and not self.chunks_total

    @property
    def percent(self) -> int:
        """Overall progress for the bar: extraction is the first fifth (OCR: the first four
        fifths), embedding the rest."""
        if self.status == self.Status.READY:
            return 100
        if self.status != self.Status.PROCESSING or not self.page_count:
            return 0
        if self.ocr_pages:
            extracted = 80 * min(self.ocr_done, self.ocr_pages) // self.ocr_pages
            embedded = 20 * self.chunks_embedded // self.chunks_total if self.chunks_total else 0
        else:
            extracted = 20 * self.pages_done // self.page_count
            embedded = 80 * self.chunks_embedded // self.chunks_total if self.chunks_total else 0
        return min(99, extracted + embedded)


class DocumentPage(models.Model):
    """The text of one page of a document, and where it came from.

    Written as each page is read (documents/extraction.py), so a run that is stopped (its worker
    killed, a limit reached) keeps the pages it has: the next run reads only the others, and OCR
    is never done twice for a page. A re-index reuses them too. Pages whose text layer is empty
    are stored only once OCR has read them (as OCR, or NONE when it found nothing either).
    """

    class Source(models.TextChoices):
        TEXT = "text", "Text layer"
        OCR = "ocr", "OCR"
        NONE = "none", "No text"

    # Indexed for a workspace's deletion; the document's index is the unique constraint's.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages", db_index=False)
    number = models.PositiveIntegerField()  # 1-based, as people cite pages
    text = models.TextField(blank=True)
    source = models.CharField(max_length=4, choices=Source.choices)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A document's pages in order (the pipeline and the detail page); one row per page.
            models.UniqueConstraint(fields=["document", "number"], name="document_page_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.document} p. {self.number} ({self.source})"


class Chunk(models.Model):
    """A run of about CHUNK_TOKEN_SIZE tokens of one document, with the pages it spans.

    The table is partitioned by HASH (tenant_id) (migration 0004), so that each few tenants have
    their own HNSW graph; queries should name the tenant so that PostgreSQL reads one partition.
    Its primary key in the database is (tenant_id, id), as partitioning requires; `id` alone comes
    from one sequence and is unique, and Django uses it as the primary key.
    """

    # Not indexed on its own: the primary key (tenant_id, id) leads with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    document = models.ForeignKey(Document, on_delete=cascade_within_tenant, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    page_start = models.PositiveIntegerField()
    page_end = models.PositiveIntegerField()
    token_count = models.PositiveIntegerField()
    # [[character offset in `text`, page], ...]: where each page after page_start begins, so that a
    # citation opens the page of the passage it cites (page_at). Empty when the chunk is one page.
    page_breaks = models.JSONField(default=list, blank=True)
    # A contents, index or list-of-figures page (documents.chunking.is_listing): ranked below body text.
    contents = models.BooleanField(default=False)
    # The section heading in force where the chunk begins (documents.chunking.find_headings): part
    # of what is embedded (the vector and its windows), never of what is shown or quoted (`text`).
    heading = models.TextField(blank=True, default="", db_default="")
    # Its vectors are not here: each embedding model has a table of its own (VectorStore).
    # 'simple' keeps every language's words (Persian, Russian, ...) without stemming.
    search = models.GeneratedField(
        expression=SearchVector("text", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document", "ordinal"], name="chunk_unique_ordinal"),
        ]
        indexes = [
            # Retrieval: the full-text half of hybrid search.
            GinIndex(fields=["search"], name="chunk_search_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.document} #{self.ordinal} (p. {self.page_start}-{self.page_end})"


def page_at(page_start: int, page_breaks: list[list[int]] | list[tuple[int, int]], offset: int) -> int:
    """The page on which the character at `offset` of a chunk's text is."""
    page = page_start
    for at, number in page_breaks:
        if at > offset:
            break
        page = number
    return page


class VectorStore(models.Model):
    """Where one embedding model's vectors live: a table of their own (documents/vectors.py).

    The table is partitioned by HASH (tenant_id) into the chunk table's 64 partitions, each with its
    own HNSW graph over a `vector(dimensions)` column. Adding a model creates a table and touches no
    other model's vectors; a model whose vectors nobody uses any more can be dropped whole.
    """

    model = models.CharField(max_length=100)
    dimensions = models.PositiveIntegerField()
    table = models.CharField(max_length=50, unique=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "dimensions"], name="vectorstore_unique_model"),
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.dimensions} dimensions)"

    @property
    def key(self) -> str:
        return f"{self.model}:{self.dimensions}"


class DocumentVectors(models.Model):
    """A document's chunks all have vectors in `store`: written in the transaction that writes them.

    The pipeline replaces a document's chunks (their vectors go with them, by the database's
    cascade) and these rows together, so a row here always means "complete for these chunks".
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="vector_sets")
    store = models.ForeignKey(VectorStore, on_delete=models.PROTECT, related_name="+")
    tokens = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also serves "ready documents without vectors in this store" (a switch's next work).
            models.UniqueConstraint(fields=["document", "store"], name="documentvectors_unique_store"),
        ]
        indexes = [
            # Removing a model's vectors from a workspace: the markers of one store.
            models.Index(fields=["store"], name="documentvectors_store"),
        ]

    def __str__(self) -> str:
        return f"{self.document} in {self.store}"


class SearchIndex(models.Model):
    """A workspace's embedding model, and the switch to another one while it is built.

    `store` answers questions. While `target` is set, a background run (documents/switching.py)
    gives every ready document vectors in the target too; then, in one transaction, `store`
    becomes the target. Vectors of any other model are removed afterwards (`purge_pending`).
    """

    class State(models.TextChoices):
        READY = "ready", "Ready"
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Re-embedding"
        WAITING = "waiting", "Waiting for budget"
        FAILED = "failed", "Stopped"

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="search_index"
    )
    store = models.ForeignKey(VectorStore, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(VectorStore, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    previous = models.ForeignKey(
        VectorStore, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.READY)
    error = models.TextField(blank=True)
    documents_total = models.PositiveIntegerField(default=0)
    documents_done = models.PositiveIntegerField(default=0)
    # Who started the switch: its embedding tokens are metered to them.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires = models.DateTimeField(null=True, blank=True, editable=False)
    budget_wait_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Vectors of models other than `store` and `target` may remain: the purge has not finished.
    purge_pending = models.BooleanField(default=False)
    started = models.DateTimeField(null=True, blank=True)
    switched = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The recovery sweep: switches under way, and purges left to do.
            models.Index(fields=["state"], name="searchindex_state"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.store}"

    @property
    def switching(self) -> bool:
        return self.target_id is not None

    @property
    def percent(self) -> int:
        if not self.documents_total:
            return 0
        return min(99, 100 * self.documents_done // self.documents_total)
