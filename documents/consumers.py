"""The Documents pages' socket: live status and progress for the whole workspace."""

from documents.live import DocumentEvent
from tenants.consumers import TenantConsumer


class DocumentsConsumer(TenantConsumer):
    """Joins the tenant's group (TenantConsumer checks the membership) and relays its fragments.

    Workers render each fragment once (documents/live.py); the htmx ws extension swaps it in by id.
    The browser sends nothing: anything it sends is ignored.
    """

    async def document_update(self, event: DocumentEvent) -> None:
        await self.send(text_data=event["html"])
