from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenants.http import TenantRequest


@require_GET
def index(request: TenantRequest) -> HttpResponse:
    return render(request, "usage/index.html")
