from django.http import HttpRequest

from tenants.models import Membership


def tenancy(request: HttpRequest) -> dict[str, object]:
    """The current tenant and the user's other workspaces, for the layout's switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": memberships,
    }
