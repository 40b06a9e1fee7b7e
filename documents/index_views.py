"""The Search index page: the workspace's embedding model, and switching it (owners and admins)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from documents import index, registry, switching
from documents.models import Chunk, SearchIndex
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS, require_role
from usage.metering import cost_of

MANAGERS_ONLY = "Only the workspace's owners and admins can change its embedding model."


@dataclass
class Choice:
    key: str
    label: str
    cost: str  # the estimated cost of re-embedding the workspace, in words; "" when free


def cost_words(cost: Decimal) -> str:
    if not cost:
        return ""
    return "under $0.01" if cost < Decimal("0.01") else f"about ${cost:,.2f}"


@require_GET
def search_index(request: TenantRequest) -> HttpResponse:
    current = index.current(request.tenant)
    tokens = _tokens(request)
    context = {
        "index": current,
        "spec": index.spec_of(current.store),
        "unavailable": None if index.spec_of(current.store) else index.unavailable_message(current.store),
        "choices": _choices(current, tokens),
        "tokens": tokens,
        "can_manage": request.membership.is_manager,
        "needs_key": not settings.OPENAI_API_KEY,  # OpenAI models are offered once it is set
        "panels": panels(request, current),
    }
    return render(request, "documents/search_index.html", context)


@require_POST
@require_role(*MANAGERS, message=MANAGERS_ONLY)
def switch(request: TenantRequest) -> HttpResponse:
    try:
        started = switching.start(request.tenant, request.POST.get("model", ""), by=request.user)
    except switching.SwitchRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Switching to {started.target}. Questions are answered with {started.store} until every "
            "document has the new vectors.",
        )
    return redirect("documents:search_index", tenant_slug=request.tenant.slug)


@require_POST
@require_role(*MANAGERS, message=MANAGERS_ONLY)
def cancel(request: TenantRequest) -> HttpResponse:
    try:
        kept = switching.cancel(request.tenant, by=request.user)
    except switching.SwitchRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Switch cancelled: the workspace keeps {kept.store}.")
    return redirect("documents:search_index", tenant_slug=request.tenant.slug)


@require_POST
@require_role(*MANAGERS, message=MANAGERS_ONLY)
def retry(request: TenantRequest) -> HttpResponse:
    if switching.retry(request.tenant):
        messages.success(request, "The switch is queued again.")
    else:
        messages.warning(request, "There is no stopped switch to retry.")
    return redirect("documents:search_index", tenant_slug=request.tenant.slug)


def panels(request: TenantRequest, current: SearchIndex) -> list[str]:
    """HTML that other apps show beside the switch (switching.search_index_panels), here and on the
    Documents page."""
    replies = switching.search_index_panels.send(sender=SearchIndex, index=current, request=request)
    return [html for _, html in replies if html]


def _tokens(request: TenantRequest) -> int:
    """The tokens a switch re-embeds: every chunk of the workspace (one partition)."""
    return Chunk.objects.filter(tenant=request.tenant).aggregate(total=Sum("token_count"))["total"] or 0


def _choices(current: SearchIndex, tokens: int) -> list[Choice]:
    return [
        Choice(spec.key, spec.label, cost_words(cost_of(spec.name, tokens, 0)))
        for spec in registry.allowed()
        if (spec.name, spec.dimensions) != (current.store.model, current.store.dimensions)
    ]
