"""Deleting a workspace: the one implementation, used by the settings page and `delete_tenant`.

Documents, their chunks and files, chats, memberships, invitations and the audit log go.
Usage records stay for billing, anonymised: no tenant, no user, only the tenant's slug.
"""

import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction

from tenants.models import Membership, Tenant
from tenants.team import NotAllowed

log = logging.getLogger(__name__)


@dataclass
class DeletionReport:
    slug: str
    name: str
    members: int = 0
    documents: int = 0
    chunks: int = 0
    usage_records_kept: int = 0
    files: list[str] = field(default_factory=list)
    files_failed: list[str] = field(default_factory=list)


def _model(label: str) -> type[models.Model] | None:
    """The model `app.Model`, or None while that app has not defined it (yet)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def describe(tenant: Tenant) -> DeletionReport:
    """What deleting `tenant` would remove (for the confirmation prompt)."""
    report = DeletionReport(slug=tenant.slug, name=tenant.name, members=tenant.memberships.count())
    for label, attr in (("documents.Document", "documents"), ("documents.Chunk", "chunks")):
        model = _model(label)
        if model is not None:
            setattr(report, attr, model._default_manager.filter(tenant=tenant).count())
    usage = _model("usage.UsageRecord")
    if usage is not None:
        report.usage_records_kept = usage._default_manager.filter(tenant=tenant).count()
    return report


def delete_tenant(tenant: Tenant, actor: Any = None) -> DeletionReport:
    """Delete `tenant` and everything in it; `actor` is the owner asking, None for an operator.

    1. Lock the tenant row; a person must still be an owner under that lock.
    2. Note the document files.
    3. Anonymise the usage records, then delete chunks, documents and the tenant, whose cascade
       takes memberships, invitations, audit entries and chats.
    4. Only after the transaction commits: delete the files (and, through the memberships' deletion
       signal, close the members' sockets), so a rollback never leaves rows pointing at deleted files.
    """
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if actor is not None:
            _check_owner(tenant, actor)
        report = describe(tenant)
        report.files = _document_files(tenant)
        _anonymise_usage(tenant)
        _delete_documents(tenant)
        tenant_id = tenant.pk
        tenant.delete()
        transaction.on_commit(lambda: _after_commit(report, tenant_id))
    log.info("Deleted tenant %s (%s) by %s", report.slug, report.name, getattr(actor, "email", "an operator"))
    return report


def _check_owner(tenant: Tenant, actor: Any) -> None:
    is_owner = Membership.objects.filter(tenant=tenant, user=actor, role=Membership.Role.OWNER).exists()
    if not is_owner:
        raise NotAllowed("Only an owner can delete the workspace.")


def _document_files(tenant: Tenant) -> list[str]:
    document = _model("documents.Document")
    if document is None:
        return []
    names = document._default_manager.filter(tenant=tenant).values_list("file", flat=True)
    return [name for name in names if name]


def _anonymise_usage(tenant: Tenant) -> None:
    usage = _model("usage.UsageRecord")
    if usage is not None:
        # tenant_slug stays: billing can still total a deleted workspace's spend.
        usage._default_manager.filter(tenant=tenant).update(tenant=None, user=None)


def _delete_documents(tenant: Tenant) -> None:
    # Chunks first, in one statement: their vectors are most of the rows.
    for label in ("documents.Chunk", "documents.Document"):
        model = _model(label)
        if model is not None:
            model._default_manager.filter(tenant=tenant).delete()


def _after_commit(report: DeletionReport, tenant_id: int) -> None:
    # The members' sockets are closed by the memberships' own deletion (tenants/signals.py).
    storage = _document_storage()
    for name in report.files:
        _delete_file(storage, name, report)
    _purge_folder(storage, f"tenants/{tenant_id}", report)


def _document_storage() -> Storage:
    document = _model("documents.Document")
    if document is None:
        return default_storage
    return document._meta.get_field("file").storage  # type: ignore[union-attr]


def _delete_file(storage: Storage, name: str, report: DeletionReport) -> None:
    try:
        storage.delete(name)
    except Exception:  # a file we cannot delete must not hide the others
        log.exception("Could not delete %s of deleted tenant %s", name, report.slug)
        report.files_failed.append(name)


def _purge_folder(storage: Storage, folder: str, report: DeletionReport) -> None:
    """Delete anything else stored under the tenant's folder (derived files, leftovers)."""
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        path = f"{folder}/{name}"
        if path not in report.files:
            report.files.append(path)
        _delete_file(storage, path, report)
    for sub in dirs:
        _purge_folder(storage, f"{folder}/{sub}", report)
    _remove_empty_dir(storage, folder)


def _remove_empty_dir(storage: Storage, folder: str) -> None:
    with contextlib.suppress(NotImplementedError, OSError):  # not a local filesystem, or not empty
        os.rmdir(storage.path(folder))
