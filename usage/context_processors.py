from django.http import HttpRequest

from tenants.models import Membership
from usage import quotas


def quota_banner(request: HttpRequest) -> dict[str, object]:
    """At 80% of the monthly budget, owners see a warning on every workspace page."""
    membership = getattr(request, "membership", None)
    if membership is None or membership.role != Membership.Role.OWNER:
        return {}
    current = quotas.status(membership.tenant)
    return {"quota_warning": current} if current.warning else {}
