"""`reindex --switch / --cancel / --status`: a workspace's embedding model from the command line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from documents import index, switching
from documents.models import Document, SearchIndex
from tenants.management.commands._args import get_tenant


def models_command(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["status"]:
        status(command, options)
        return
    if not options["tenant"]:
        raise CommandError("--switch and --cancel need --tenant <slug>.")
    tenant = get_tenant(str(options["tenant"]))
    try:
        if options["cancel"]:
            kept = switching.cancel(tenant)
            command.stdout.write(command.style.SUCCESS(f"Cancelled: {tenant.slug} keeps {kept.store}."))
            return
        started = switching.start(tenant, str(options["switch"]))
    except switching.SwitchRefused as exc:
        raise CommandError(str(exc)) from None
    command.stdout.write(f"{tenant.slug}: switching from {started.store} to {started.target}.")
    if options["background"]:
        command.stdout.write(command.style.SUCCESS("Queued for the workers (see reindex --status)."))
        return
    finished = switching.run(tenant.pk, listener=lambda i: command.stdout.write(f"  {progress(i)}"))
    report(command, tenant.slug, finished)


def report(command: BaseCommand, slug: str, finished: SearchIndex | None) -> None:
    if finished is None:
        command.stdout.write(
            command.style.WARNING("A worker picked the switch up first (see reindex --status).")
        )
    elif finished.target_id:
        raise CommandError(f"{slug}: {finished.get_state_display().lower()}: {finished.error}")
    else:
        command.stdout.write(command.style.SUCCESS(f"{slug} now uses {finished.store}."))


def progress(current: SearchIndex) -> str:
    line = f"{current.documents_done}/{current.documents_total} documents re-embedded with {current.target}"
    return f"{line} ({current.get_state_display().lower()}{': ' + current.error if current.error else ''})"


def status(command: BaseCommand, options: dict[str, Any]) -> None:
    indexes = SearchIndex.objects.select_related("tenant", "store", "target").order_by("tenant__slug")
    if options["tenant"]:
        indexes = indexes.filter(tenant=get_tenant(str(options["tenant"])))
    for current in indexes:
        line = f"{current.tenant.slug}: {current.store}"
        if not index.spec_of(current.store):
            line += " (NOT AVAILABLE on this server)"
        if current.target_id:
            line += f"; switching: {progress(current)}"
        command.stdout.write(line)
    if not indexes:
        command.stdout.write("No workspace has a search index yet.")


def outdated(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The documents without vectors of their workspace's model."""
    ids: list[int] = []
    for tenant_id in documents.order_by().values_list("tenant_id", flat=True).distinct():
        store = index.current(tenant_id).store
        lacking = documents.filter(tenant_id=tenant_id).exclude(vector_sets__store=store)
        ids += lacking.values_list("pk", flat=True)
    return documents.filter(pk__in=ids)
