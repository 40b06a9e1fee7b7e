"""Workspace settings (owners and admins) and deleting the workspace (owners)."""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenants import audit, permissions
from tenants.deletion import delete_tenant
from tenants.forms import DeleteWorkspaceForm, SettingsForm
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS_ONLY, require
from tenants.team import TeamError


def _page(
    request: TenantRequest,
    form: SettingsForm,
    delete_form: DeleteWorkspaceForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    if delete_form is None and permissions.can_delete_workspace(request.membership):
        delete_form = DeleteWorkspaceForm(slug=request.tenant.slug)
    context = {"form": form, "delete_form": delete_form}
    return render(request, "tenants/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require(permissions.can_manage_settings, MANAGERS_ONLY)
def workspace_settings(request: TenantRequest) -> HttpResponse:
    # A copy: an invalid form must not leak its values into request.tenant (the sidebar shows it).
    form = SettingsForm(request.POST or None, instance=copy.copy(request.tenant))
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, form, status=400)
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing changed.")
        else:
            _save(request, form, changes)
        return redirect("tenants:settings", tenant_slug=request.tenant.slug)
    return _page(request, form)


def _save(request: TenantRequest, form: SettingsForm, changes: dict[str, dict[str, str]]) -> None:
    with transaction.atomic():  # the settings and their audit entry, or neither
        tenant = form.save()
        audit.record(tenant, request.user, audit.Action.SETTINGS_CHANGED, tenant.slug, **changes)
    for field in changes:  # the request's tenant is shown in the sidebar of the next page too
        setattr(request.tenant, field, getattr(tenant, field))
    messages.success(request, "Settings saved.")


@require_POST
@require(permissions.can_delete_workspace, "Only an owner can delete the workspace.")
def delete_workspace(request: TenantRequest) -> HttpResponse:
    form = DeleteWorkspaceForm(request.POST, slug=request.tenant.slug)
    if not form.is_valid():
        return _page(request, SettingsForm(instance=copy.copy(request.tenant)), form, status=400)
    name = request.tenant.name
    try:
        delete_tenant(request.tenant, actor=request.user)
    except TeamError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, f"The workspace {name} was deleted. Its usage is kept anonymised for billing.")
    return redirect("tenants:home")
