from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tenants import overview
from tenants.forms import WorkspaceForm
from tenants.http import AuthedRequest, TenantRequest
from tenants.models import Membership, create_tenant


@require_GET
@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """After login: one workspace goes straight in, several get a picker, none get 'create'."""
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("tenant").order_by("tenant__name")
    )
    if not memberships:
        return redirect("tenants:create")
    if len(memberships) == 1:
        return redirect("tenants:dashboard", tenant_slug=memberships[0].tenant.slug)
    return render(request, "tenants/picker.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
@login_required
def create(request: AuthedRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = create_tenant(
                name=form.cleaned_data["name"], slug=form.cleaned_data["slug"], owner=request.user
            )
        except IntegrityError:  # someone took the slug between validation and insert
            form.add_error("slug", "That address was just taken. Choose another.")
        else:
            return redirect("tenants:dashboard", tenant_slug=tenant.slug)
    return render(request, "tenants/create.html", {"form": form})


@require_GET
def dashboard(request: TenantRequest) -> HttpResponse:
    """The Overview: each app's panel (tenants/overview.py), and a first step for a new workspace."""
    panels = overview.panels(request)
    context = {
        "panels": panels,
        "first_visit": not getattr(request.membership, "seen_before", True),
        "has_documents": any(p.get("documents_total") for _, p in panels),
    }
    return render(request, "tenants/dashboard.html", context)
