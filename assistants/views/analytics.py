"""One assistant's analytics page (owners and admins)."""

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assistants.analytics import DAYS, report
from tenants.access import get_assistant
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS_ONLY, can_view_conversations, require


@require_GET
@require(can_view_conversations, MANAGERS_ONLY)
def analytics(request: TenantRequest, assistant_id: UUID) -> HttpResponse:
    assistant = get_assistant(request, assistant_id)
    context = {"assistant": assistant, "report": report(assistant), "days": DAYS}
    return render(request, "assistants/analytics.html", context)
