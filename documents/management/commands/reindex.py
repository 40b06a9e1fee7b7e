from argparse import ArgumentParser
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import QuerySet

from documents import pipeline, queueing
from documents.management.commands._models import models_command, outdated
from documents.management.commands._progress import ProgressLine, Result, ready_detail, summarise
from documents.models import Document
from tenants import audit
from tenants.management.commands._args import get_tenant


class Command(BaseCommand):
    help = (
        "Re-extract and re-embed documents; each document's chunks are replaced in one transaction. "
        "Or switch a workspace's embedding model (--switch), show switches (--status), cancel one "
        "(--cancel). Works here with progress, unless --background."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", help="Only this tenant's documents (its slug)")
        parser.add_argument("--document", help="Only this document (its public id, or its numeric id)")
        parser.add_argument(
            "--outdated",
            action="store_true",
            help="Only documents without vectors of their workspace's model",
        )
        parser.add_argument("--background", action="store_true", help="Queue for the workers; do not wait")
        models = parser.add_mutually_exclusive_group()
        models.add_argument(
            "--switch", metavar="MODEL", help="Switch --tenant to this embedding model (name:dims)"
        )
        models.add_argument(
            "--cancel", action="store_true", help="Cancel --tenant's switch before it happens"
        )
        models.add_argument(
            "--status", action="store_true", help="Each workspace's model and switch progress"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["switch"] or options["cancel"] or options["status"]:
            models_command(self, options)
            return
        documents = list(self.select(options).select_related("tenant").order_by("pk"))
        if options["document"] and not documents:
            raise CommandError(f"No document {options['document']!r} (in that tenant).")
        results = [self.reindex(document, bool(options["background"])) for document in documents]
        summarise(self.stdout, self.style, results)
        failed = sum(result.failed for result in results)
        if failed:
            raise CommandError(f"{failed} of {len(results)} document(s) failed.")

    def select(self, options: dict[str, object]) -> QuerySet[Document]:
        documents = Document.objects.all()
        if options["tenant"]:
            documents = documents.filter(tenant=get_tenant(str(options["tenant"])))
        if options["document"]:
            documents = documents.filter(**_document_lookup(str(options["document"])))
        if options["outdated"]:
            documents = outdated(documents)
        return documents

    def reindex(self, document: Document, background: bool) -> Result:
        name = f"{document.tenant.slug}/{document.title}"
        with transaction.atomic():
            queued = queueing.requeue([document], enqueue_task=background)
            if queued:
                audit.record(
                    document.tenant,
                    None,
                    audit.Action.DOCUMENT_REINDEXED,
                    document.title,
                    document=str(document.public_id),
                    via="command",
                )
        if not queued:
            return Result(name, "skipped", "already queued or being indexed")
        if background:
            return Result(name, "queued", "queued for the workers")
        progress = ProgressLine(self.stdout, f"{name}:")
        try:
            result = pipeline.ingest(document.pk, listener=progress, stage=pipeline.Stage.ALL)
        except Exception as exc:
            return Result(name, "failed", f"unexpected error: {exc}")
        finally:
            progress.clear()
        if result is None:
            return Result(name, "skipped", "a worker picked it up first")
        outcome = ready_detail(result)
        outcome.name = name
        return outcome


def _document_lookup(value: str) -> dict[str, object]:
    if value.isdigit():
        return {"pk": int(value)}
    try:
        return {"public_id": UUID(value)}
    except ValueError:
        raise CommandError(
            f"--document takes a document's public id (a UUID) or numeric id, not {value!r}."
        ) from None
