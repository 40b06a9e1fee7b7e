from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from documents import queueing
from documents.models import Document
from tenants import audit


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "status", "page_count", "chunks_total", "embedding_model", "created"]
    list_filter = ["status", "embedding_model", "tenant"]
    search_fields = ["title", "original_name", "sha256", "public_id"]
    list_select_related = ["tenant"]
    date_hierarchy = "created"
    ordering = ["-created"]
    actions = ["reindex"]
    readonly_fields = [
        "public_id",
        "tenant",
        "uploaded_by",
        "queued_by",
        "file",
        "original_name",
        "sha256",
        "size_bytes",
        "page_count",
        "status",
        "error",
        "pages_done",
        "ocr_pages",
        "ocr_done",
        "attempts",
        "chunks_total",
        "chunks_embedded",
        "embedding_model",
        "embedding_tokens",
        "lease_expires",
        "created",
        "updated",
        "processed",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents arrive by upload or `manage.py ingest`, which check them

    @admin.action(description="Re-index selected documents")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        with transaction.atomic():
            queued = queueing.requeue(queryset.select_related("tenant"))
            for document in queued:
                audit.record(
                    document.tenant,
                    request.user,
                    audit.Action.DOCUMENT_REINDEXED,
                    document.title,
                    document=str(document.public_id),
                    via="admin",
                )
        skipped = queryset.count() - len(queued)
        self.message_user(request, f"Queued {len(queued)} document(s) for re-indexing.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} already queued or being indexed.", messages.WARNING
            )
