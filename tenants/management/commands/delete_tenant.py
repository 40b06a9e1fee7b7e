from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from tenants.deletion import delete_tenant, describe
from tenants.management.commands._args import get_tenant


class Command(BaseCommand):
    help = (
        "Delete a tenant with its documents, files, chunks, chats, members and audit log. "
        "Usage records are kept, anonymised, for billing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The tenant's slug")
        parser.add_argument(
            "--yes", "--noinput", "--no-input", action="store_true", dest="yes",
            help="Do not ask for confirmation.",
        )  # fmt: skip

    def handle(self, *args: object, slug: str, yes: bool, **options: object) -> None:
        tenant = get_tenant(slug)
        plan = describe(tenant)
        self.stdout.write(
            f"This deletes {tenant.name!r} ({slug}): {plan.members} member(s), {plan.documents} "
            f"document(s) with their files and {plan.chunks} chunk(s), all chats and the audit log. "
            f"{plan.usage_records_kept} usage record(s) are kept, anonymised."
        )
        if not yes and input(f"Type the slug ({slug}) to confirm: ").strip() != slug:
            raise CommandError("Not confirmed; nothing was deleted.")
        report = delete_tenant(tenant)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted tenant {slug!r}: {report.documents} document(s), {len(report.files)} file(s), "
                f"{report.chunks} chunk(s); kept {report.usage_records_kept} usage record(s) anonymised."
            )
        )
        if report.files_failed:
            self.stderr.write(f"Could not delete {len(report.files_failed)} file(s): {report.files_failed}")
