import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from tenants.models import Tenant


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
    # The lease of the run that holds this document while it is processing (see documents/recovery.py):
    # the worker renews lease_expires while it is alive, and writes only while lease_token is its own.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while the document waits (queued, `error` saying why) for its tenant's budget to reset or
    # be raised: the quota is checked before any embedding is paid for (see usage/quotas.py).
    budget_wait_until = models.DateTimeField(null=True, blank=True, editable=False)

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
    def percent(self) -> int:
        """Overall progress for the bar: extraction is the first fifth, embedding the rest."""
        if self.status == self.Status.READY:
            return 100
        if self.status != self.Status.PROCESSING or not self.page_count:
            return 0
        extracted = 20 * self.pages_done // self.page_count
        embedded = 80 * self.chunks_embedded // self.chunks_total if self.chunks_total else 0
        return min(99, extracted + embedded)


class Chunk(models.Model):
    """A run of about CHUNK_TOKEN_SIZE tokens of one document, with the pages it spans.

    The table is partitioned by HASH (tenant_id) (migration 0004), so that each few tenants have
    their own HNSW graph; queries should name the tenant so that PostgreSQL reads one partition.
    Its primary key in the database is (tenant_id, id), as partitioning requires; `id` alone comes
    from one sequence and is unique, and Django uses it as the primary key.
    """

    # Not indexed on its own: the primary key (tenant_id, id) leads with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    page_start = models.PositiveIntegerField()
    page_end = models.PositiveIntegerField()
    token_count = models.PositiveIntegerField()
    embedding = VectorField(dimensions=settings.EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=100)
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
            # Retrieval: nearest chunks by cosine distance (filtered by tenant, iterative scan).
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            # Retrieval: the full-text half of hybrid search.
            GinIndex(fields=["search"], name="chunk_search_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.document} #{self.ordinal} (p. {self.page_start}-{self.page_end})"
