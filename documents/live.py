"""Live updates for open Documents pages: server-rendered fragments over the tenant's group.

The worker (often another process) renders each fragment once and sends it to the group
`tenant-<id>` through the channel layer (channels-postgres or channels-redis, both cross-process).
Each DocumentsConsumer passes it to its browser, where the htmx ws extension swaps it in by id
(out of band). Pages always render from the model; a lost push costs only freshness.
"""

import logging
import time
from typing import Literal, TypedDict

from django.template.loader import render_to_string

from docuchat.lib import channel_layer
from documents.models import Document, SearchIndex
from tenants.consumers import tenant_group
from tenants.models import Tenant

logger = logging.getLogger(__name__)

EVENT_TYPE = "document.update"
# At most this many progress pushes per second for one document; status changes always go out.
PUSHES_PER_SECOND = 4


class DocumentEvent(TypedDict):
    type: Literal["document.update"]
    html: str


def push_state(document: Document) -> None:
    """Send a document's status, pages and chunks cells (list and detail pages share their ids).

    A failed document's row offers Retry instead of Re-index, and rows carry per-person actions:
    open lists fetch their rows again (see push_list_changed).
    """
    html = render_to_string("documents/list.html#state", {"doc": document, "oob": True})
    if document.status == Document.Status.FAILED:
        html += render_to_string("documents/list.html#refresh", {"tenant": document.tenant, "oob": True})
    _send(document.tenant_id, html)


def push_index(index: SearchIndex) -> None:
    """Send a workspace's switch progress (the Documents and Search index pages share its id)."""
    html = render_to_string("documents/search_index.html#status", {"index": index, "oob": True})
    _send(index.tenant_id, html)


def push_list_changed(tenant: Tenant) -> None:
    """Tell open lists to fetch their rows again (a document was added or removed).

    Rows carry per-person actions, so each browser fetches its own rather than receiving ours.
    """
    html = render_to_string("documents/list.html#refresh", {"tenant": tenant, "oob": True})
    _send(tenant.pk, html)


def _send(tenant_id: int, html: str) -> None:
    event: DocumentEvent = {"type": EVENT_TYPE, "html": html}
    try:
        channel_layer.group_send(tenant_group(tenant_id), dict(event))
    except Exception:  # a push must never fail the work it reports on
        logger.exception("Could not push a document update to tenant %s", tenant_id)


class Throttle:
    """Lets an action through at most `per_second` times a second, unless forced."""

    def __init__(self, per_second: float = PUSHES_PER_SECOND) -> None:
        self.interval = 1 / per_second
        self.last = float("-inf")

    def ready(self, *, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.last = now
            return True
        return False
