"""The API keys page (/t/<slug>/api-keys/): owners and admins create, rotate and revoke keys.

A new or rotated key's secret is shown once, on the page that answers the form, and never again.
"""

from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api import keys
from api.forms import KeyForm, LimitsForm, RotateForm
from api.models import ApiKey
from tenants import permissions
from tenants.http import TenantRequest
from tenants.models import AuditEntry
from tenants.permissions import MANAGERS_ONLY, require

HISTORY = 10  # key changes shown on the page; the audit log has them all


def _keys(request: TenantRequest) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=request.tenant).select_related("assistant", "created_by")


def get_key(request: TenantRequest, public_id: UUID) -> ApiKey:
    """A key of the request's workspace, or 404."""
    return get_object_or_404(_keys(request), public_id=public_id)


def _history(request: TenantRequest) -> QuerySet[AuditEntry]:
    """The workspace's last key changes (creation, rotation, revocation), from its audit log."""
    entries = AuditEntry.objects.filter(tenant=request.tenant, action__startswith="api_key.")
    return entries.order_by("-created", "-pk")[:HISTORY]


def _page(request: TenantRequest, form: KeyForm, *, secret: str = "", status: int = 200) -> HttpResponse:
    context = {
        "keys": _keys(request), "form": form, "rotate_form": RotateForm(), "secret": secret,
        "history": _history(request),
    }  # fmt: skip
    return render(request, "api/keys.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require(permissions.can_manage_settings, MANAGERS_ONLY)
def index(request: TenantRequest) -> HttpResponse:
    form = KeyForm(request.POST or None, tenant=request.tenant)
    if request.method != "POST":
        return _page(request, form)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    issued = keys.create(
        request.tenant, request.user, data["name"], data["scopes"], assistant=data["assistant"],
        rate_per_minute=data["rate_per_minute"], allowed_origins=data["allowed_origins"],
        expires=data["expires"], monthly_tokens=data["monthly_tokens"], monthly_cost=data["monthly_cost"],
    )  # fmt: skip
    messages.success(request, f"Created {issued.key.name}. Copy the key now: it is shown only once.")
    return _page(request, KeyForm(tenant=request.tenant), secret=issued.secret)


@require_POST
@require(permissions.can_manage_settings, MANAGERS_ONLY)
def rotate(request: TenantRequest, public_id: UUID) -> HttpResponse:
    key = get_key(request, public_id)
    form = RotateForm(request.POST)
    if not key.usable():
        messages.error(request, f"{key.name} is revoked or expired; create a new key instead.")
        return redirect("apikeys:keys", tenant_slug=request.tenant.slug)
    if not form.is_valid():
        messages.error(request, "Give the hours the old key keeps working, from 0 to 720.")
        return redirect("apikeys:keys", tenant_slug=request.tenant.slug)
    hours = form.cleaned_data["grace_hours"]
    issued = keys.rotate(key, request.user, hours)
    messages.success(
        request,
        f"Rotated {key.name}. Copy the new key now: it is shown only once. The old one works for {hours} h.",
    )
    return _page(request, KeyForm(tenant=request.tenant), secret=issued.secret)


@require_POST
@require(permissions.can_manage_settings, MANAGERS_ONLY)
def revoke(request: TenantRequest, public_id: UUID) -> HttpResponse:
    key = get_key(request, public_id)
    if keys.revoke(key, request.user):
        messages.success(request, f"Revoked {key.name}. It stopped working at once.")
    else:
        messages.info(request, f"{key.name} was already revoked.")
    return redirect("apikeys:keys", tenant_slug=request.tenant.slug)


@require_POST
@require(permissions.can_manage_settings, MANAGERS_ONLY)
def limits(request: TenantRequest, public_id: UUID) -> HttpResponse:
    """Change a usable key's rate limit, budgets, expiry or browser origins."""
    key = get_key(request, public_id)
    form = LimitsForm(request.POST)
    if not key.usable():
        messages.error(request, f"{key.name} is revoked or expired; create a new key instead.")
    elif not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{key.name} was not changed: {label}: {errors[0]}" if label else errors[0])
    elif keys.change(key, request.user, **{name: form.cleaned_data[name] for name in keys.LIMITS}):
        messages.success(request, f"Changed {key.name}'s limits. They apply from its next request.")
    else:
        messages.info(request, f"{key.name} already had these limits.")
    return redirect("apikeys:keys", tenant_slug=request.tenant.slug)
