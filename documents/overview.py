"""The Documents panel of the Overview page: how many, in which state; the first step when none."""

from typing import Any

from django.conf import settings

from documents.listing import status_counts
from documents.models import Document
from tenants import access
from tenants.http import TenantRequest

Status = Document.Status


def panel(request: TenantRequest) -> dict[str, Any]:
    counts = status_counts(access.documents(request))
    return {
        "documents_total": sum(counts.values()),
        "ready": counts.get(Status.READY, 0),
        "indexing": counts.get(Status.QUEUED, 0) + counts.get(Status.PROCESSING, 0),
        "failed": counts.get(Status.FAILED, 0),
        "max_mb": settings.MAX_FILE_SIZE_MB,
    }
