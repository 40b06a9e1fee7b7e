from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

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
    members = request.tenant.memberships.count()
    return render(request, "tenants/dashboard.html", {"member_count": members})


@require_GET
def members(request: TenantRequest) -> HttpResponse:
    memberships = request.tenant.memberships.select_related("user").order_by("role", "user__email")
    return render(request, "tenants/members.html", {"memberships": memberships})
