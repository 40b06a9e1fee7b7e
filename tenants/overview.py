"""The Overview page's panels: what a team wants to see on arrival.

Each app adds its own panel in its AppConfig.ready() (documents: how many and in which state;
chat: your recent conversations; usage: this month against the budget), so that tenants, below
those apps, never imports them (DESIGN.md: apps depend inward). A panel's template is rendered
with `panel` (what its context function returned) besides the page's own context.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenants.http import TenantRequest


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    order: int  # smaller first
    context: Callable[[TenantRequest], dict[str, Any]]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def panels(request: TenantRequest) -> list[tuple[Panel, dict[str, Any]]]:
    return [(panel, panel.context(request)) for panel in sorted(_PANELS.values(), key=lambda p: p.order)]


def members_panel(request: TenantRequest) -> dict[str, Any]:
    from tenants import invitations, permissions

    can_invite = permissions.can_invite(request.membership)
    pending = invitations.pending(request.tenant).count() if can_invite else 0
    return {"count": request.tenant.memberships.count(), "pending": pending}
