"""Typed requests, so views say what the middleware guarantees."""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from accounts.models import User
    from tenants.models import Membership, Tenant


class AuthedRequest(HttpRequest):
    user: "User"
    htmx: HtmxDetails


class TenantRequest(AuthedRequest):
    """A request under /t/<slug>/: the middleware has checked the membership."""

    tenant: "Tenant"
    membership: "Membership"
