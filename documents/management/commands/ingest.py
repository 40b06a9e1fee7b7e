from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from documents import pipeline, uploads
from documents.management.commands._progress import ProgressLine, Result, ready_detail, summarise
from tenants.management.commands._args import get_tenant
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Ingest PDF files, or folders of them (searched recursively for *.pdf), into a tenant. "
        "Indexes them here with progress, unless --background queues them for the workers. "
        "Exits non-zero if any file failed; files the tenant already has are skipped, unless they had "
        "failed: those are indexed again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", help="PDF files or folders")
        parser.add_argument("--tenant", required=True, help="The tenant's slug")
        parser.add_argument("--background", action="store_true", help="Queue for the workers; do not wait")

    def handle(
        self, *args: object, paths: list[str], tenant: str, background: bool, **options: object
    ) -> None:
        workspace = get_tenant(tenant)
        files = list(collect(paths))
        if not files:
            raise CommandError(f"No PDF files found in: {', '.join(paths)}")
        results = []
        for index, path in enumerate(files, 1):
            label = f"[{index}/{len(files)}] {path.name}:"
            results.append(self.ingest_one(workspace, path, label, background))
        summarise(self.stdout, self.style, results)
        failed = sum(result.failed for result in results)
        if failed:
            raise CommandError(f"{failed} of {len(results)} file(s) failed.")

    def ingest_one(self, tenant: Tenant, path: Path, label: str, background: bool) -> Result:
        with path.open("rb") as handle:
            outcome = uploads.accept(
                tenant, None, File(handle, name=path.name), path=str(path), enqueue=background
            )
        if outcome.duplicate:
            duplicate = outcome.duplicate
            return Result(
                path.name, "skipped", f"already ingested as {duplicate.title!r} ({duplicate.public_id})"
            )
        if outcome.document is None:
            return Result(path.name, "failed", outcome.error)
        if background:
            again = " again (it had failed)" if outcome.retried else ""
            return Result(path.name, "queued", f"queued{again} as {outcome.document.public_id}")
        return self.run(outcome.document.pk, path.name, label)

    def run(self, document_id: int, name: str, label: str) -> Result:
        progress = ProgressLine(self.stdout, label)
        try:
            document = pipeline.ingest(document_id, listener=progress, stage=pipeline.Stage.ALL)
        except Exception as exc:
            return Result(name, "failed", f"unexpected error: {exc}")
        finally:
            progress.clear()
        if document is None:
            return Result(name, "skipped", "a worker picked it up first")
        return ready_detail(document)


def collect(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
        elif path.is_file():
            yield path
        else:
            raise CommandError(f"No such file or folder: {raw}")
