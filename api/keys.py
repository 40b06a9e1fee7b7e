"""Creating, rotating, revoking and checking API keys; every change is audited.

The secret is returned once, by `create` and `rotate`, and never stored: only its SHA-256.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.models import SHOWN, ApiKey, Scope, digest, new_secret
from docuchat.lib.joined import Joined
from documents import queueing
from tenants import audit
from tenants.models import Tenant

LAST_USED_EVERY = timedelta(minutes=1)  # shown to the minute: no write on every request


class KeyRefused(ValueError):
    """A key cannot be created as asked; str() says why."""


@dataclass(frozen=True)
class Issued:
    key: ApiKey
    secret: str  # show it once


def clean_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise KeyRefused(f"Unknown scope {unknown[0]!r}. Scopes: {', '.join(Scope.values)}.")
    if not scopes:
        raise KeyRefused("Choose at least one scope.")
    return [s for s in Scope.values if s in scopes]  # in a stable order, once each


def create(tenant: Tenant, actor: Any, name: str, scopes: list[str], **fields: Any) -> Issued:
    name = name.strip()
    if not name:
        raise KeyRefused("Give the key a name, to tell it from the others.")
    secret = new_secret()
    fields.setdefault("rate_per_minute", settings.API_KEY_RATE_PER_MINUTE)
    with transaction.atomic():
        key = ApiKey.objects.create(
            tenant=tenant, name=name[:80], scopes=clean_scopes(scopes), prefix=secret[:SHOWN],
            secret_hash=digest(secret), created_by=actor if getattr(actor, "pk", None) else None,
            **fields,
        )  # fmt: skip
        audit.record(tenant, actor, audit.Action.API_KEY_CREATED, key.name, **settings_of(key))
    return Issued(key, secret)


def settings_of(key: ApiKey) -> dict[str, Any]:
    """What the audit log says of a new key: its prefix, scopes and whatever limits it has."""
    found = {
        "key": key.prefix, "scopes": key.scopes, "rate_per_minute": key.rate_per_minute,
        "assistant": key.assistant.name if key.assistant else None,
        "expires": key.expires.isoformat(timespec="minutes") if key.expires else None,
        "monthly_tokens": key.monthly_tokens,
        "monthly_cost": str(key.monthly_cost) if key.monthly_cost is not None else None,
        "allowed_origins": key.allowed_origins or None,
    }  # fmt: skip
    return {name: value for name, value in found.items() if value is not None}


def rotate(key: ApiKey, actor: Any, grace_hours: float | None = None) -> Issued:
    """A new secret; the old one keeps working for `grace_hours` (API_KEY_ROTATION_GRACE_HOURS)."""
    hours = settings.API_KEY_ROTATION_GRACE_HOURS if grace_hours is None else grace_hours
    secret = new_secret()
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        key.previous_hash, key.previous_valid_until = key.secret_hash, timezone.now() + timedelta(hours=hours)
        key.secret_hash, key.prefix = digest(secret), secret[:SHOWN]
        key.save(update_fields=["previous_hash", "previous_valid_until", "secret_hash", "prefix"])
        audit.record(
            key.tenant, actor, audit.Action.API_KEY_ROTATED, key.name, key=key.prefix, grace_hours=hours
        )
    return Issued(key, secret)


LIMITS = ("rate_per_minute", "expires", "monthly_tokens", "monthly_cost", "allowed_origins")


def change(key: ApiKey, actor: Any, **fields: Any) -> list[str]:
    """Change a key's limits, expiry or origins (LIMITS); audited. Returns what changed."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        before = settings_of(key)
        for name in LIMITS:
            if name in fields:
                setattr(key, name, fields[name])
        key.save(update_fields=[name for name in LIMITS if name in fields])
        after = settings_of(key)
        changed = [name for name in LIMITS if before.get(name) != after.get(name)]
        if changed:
            shown = {name: f"{before.get(name, '—')} → {after.get(name, '—')}" for name in changed}
            audit.record(key.tenant, actor, audit.Action.API_KEY_CHANGED, key.name, key=key.prefix, **shown)
        if {"monthly_tokens", "monthly_cost"} & set(changed):
            # Its uploads waiting for its budget try again (each run checks the budget first).
            queueing.resume_waiting(key.tenant)
    return changed


def revoke(key: ApiKey, actor: Any) -> bool:
    """Revoke at once (the old secret of a rotation too). False if it already was."""
    with transaction.atomic():
        changed = ApiKey.objects.filter(pk=key.pk, revoked__isnull=True).update(revoked=timezone.now())
        if changed:
            audit.record(key.tenant, actor, audit.Action.API_KEY_REVOKED, key.name, key=key.prefix)
    return bool(changed)


def authenticate(secret: str, *, note_use: bool = True) -> ApiKey | None:
    """The usable key with this secret (or with it as the old secret, in its grace period), or None.

    `note_use`: record now that it was used (a chat turn does it as its answer is saved instead)."""
    if not secret.startswith("dck_") or len(secret) > 200:
        return None
    hashed, now = digest(secret), timezone.now()
    # The current secret by its unique index first: one quick query on every request.
    key = _with_tenant(BY_SECRET, [hashed]) or _with_tenant(BY_PREVIOUS, [hashed, now])
    if key is None or not key.usable(now):
        return None
    if note_use:
        note_used(key, now)
    return key


def note_used(key: ApiKey, now: datetime | None = None) -> None:
    """Record that the key was used, at most once per LAST_USED_EVERY (shown to the minute)."""
    now = now or timezone.now()
    if key.last_used is None or now - key.last_used >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used=now)
        key.last_used = now


def still_usable(key_id: int) -> ApiKey | None:
    """The key, fresh from the database, if it is still usable (asked at every chat turn)."""
    key = _with_tenant(BY_ID, [key_id])
    return key if key is not None and key.usable() else None


# ApiKey.objects.select_related("tenant").filter(...).first(), as one hand-written query each: they
# run for every API request and chat turn (docuchat/lib/joined.py).
_KEY_AND_TENANT = ((ApiKey, "k", ""), (Tenant, "t", "t.id = k.tenant_id"))
BY_SECRET = Joined(_KEY_AND_TENANT, "k.secret_hash = %s")
BY_PREVIOUS = Joined(
    _KEY_AND_TENANT, "k.previous_hash = %s AND k.previous_hash <> '' AND k.previous_valid_until > %s"
)
BY_ID = Joined(_KEY_AND_TENANT, "k.id = %s")


def _with_tenant(query: Joined, params: list[Any]) -> ApiKey | None:
    loaded = query.first(params)
    if loaded is None:
        return None
    key, tenant = loaded
    key.tenant = tenant  # type: ignore[assignment]
    return key  # type: ignore[return-value]
