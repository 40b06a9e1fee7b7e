from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.forms import validate_new_slug
from tenants.management.commands._args import clean_email, user_for
from tenants.models import Membership, Tenant, create_tenant


class Command(BaseCommand):
    help = "Create a tenant (workspace) with an owner, who signs in by emailed code."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="URL address of the workspace, e.g. acme")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Corp'")
        parser.add_argument("--owner", required=True, help="Email of the owner")
        parser.add_argument(
            "--exist-ok",
            action="store_true",
            help="Succeed if the tenant already exists (and make sure the owner is an owner).",
        )

    def handle(
        self, *args: object, slug: str, name: str, owner: str, exist_ok: bool, **options: object
    ) -> None:
        email = clean_email(owner)
        existing = Tenant.objects.filter(slug=slug).first()
        if existing and exist_ok:
            Membership.objects.update_or_create(
                tenant=existing, user=user_for(email), defaults={"role": Membership.Role.OWNER}
            )
            self.stdout.write(f"Tenant {slug!r} already exists; {email} is an owner.")
            return
        try:
            validate_new_slug(slug)
        except ValidationError as exc:
            raise CommandError(f"Cannot use slug {slug!r}: {' '.join(exc.messages)}") from None
        if not name.strip():
            raise CommandError("--name must not be empty.")
        tenant = create_tenant(name=name.strip(), slug=slug, owner=user_for(email))
        self.stdout.write(
            self.style.SUCCESS(f"Created tenant {tenant.slug!r} ({tenant.name}) owned by {email}.")
        )
