"""The audit log's one write path."""

from typing import Any

from tenants.models import AuditEntry, Tenant

Action = AuditEntry.Action


def record(
    tenant: Tenant, actor: Any, action: AuditEntry.Action, target: str = "", **details: Any
) -> AuditEntry:
    """Record that `actor` (a user, or None for operators and the system) did `action` in `tenant`.

    `details` must be JSON-serialisable, e.g. record(t, user, Action.MEMBER_ROLE_CHANGED,
    "bob@acme.com", old="member", new="admin").
    """
    return AuditEntry.objects.create(
        tenant=tenant,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target=target[:255],
        details=details,
    )
