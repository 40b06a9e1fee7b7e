"""The audit log page (owners and admins): filterable by action and actor, paginated."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tenants.forms import SYSTEM, AuditFilterForm
from tenants.http import TenantRequest
from tenants.models import AuditEntry
from tenants.permissions import MANAGERS_ONLY, can_view_audit, require
from tenants.views.helpers import is_fragment

PER_PAGE = 25


def _actors(entries: QuerySet[AuditEntry]) -> list[str]:
    return sorted(set(entries.order_by().values_list("actor_email", flat=True)))


def _filtered(entries: QuerySet[AuditEntry], form: AuditFilterForm) -> QuerySet[AuditEntry]:
    if not form.is_valid():
        return entries
    if action := form.cleaned_data["action"]:
        entries = entries.filter(action=action)
    if actor := form.cleaned_data["actor"]:
        entries = entries.filter(actor_email="" if actor == SYSTEM else actor)
    return entries


@require_GET
@require(can_view_audit, MANAGERS_ONLY)
@vary_on_headers("HX-Request")
def audit_log(request: TenantRequest) -> HttpResponse:
    entries = AuditEntry.objects.filter(tenant=request.tenant)
    form = AuditFilterForm(request.GET, actors=_actors(entries))
    entries = _filtered(entries, form).select_related("actor").order_by("-created", "-pk")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    template = "tenants/audit.html#entries" if is_fragment(request) else "tenants/audit.html"
    return render(request, template, {"form": form, "page": page})
