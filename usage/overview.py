"""The Usage panel of the Overview page: this month's tokens and cost against the budget."""

from typing import Any

from tenants.http import TenantRequest
from usage import quotas


def panel(request: TenantRequest) -> dict[str, Any]:
    return {"quota": quotas.status(request.tenant)}
