"""The one tenant-scoped access path: one helper per object type.

Views never call `Model.objects.get` on tenant data themselves. Each helper takes
the request (whose tenant the middleware resolved) and an opaque id, and raises
404 for anything outside that tenant, exactly as for something that does not exist.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from tenants.http import TenantRequest
    from usage.models import UsageRecord


def usage_records(request: "TenantRequest") -> "QuerySet[UsageRecord]":
    """This tenant's usage records: all of them for owners and admins, a member's own otherwise."""
    from usage.models import UsageRecord

    records = UsageRecord.objects.filter(tenant=request.tenant)
    if not request.membership.is_manager:
        records = records.filter(user=request.user)
    return records
