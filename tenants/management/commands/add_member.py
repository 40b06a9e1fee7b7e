from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from tenants.management.commands._args import clean_email, get_tenant, user_for
from tenants.models import Membership
from tenants.team import TeamError, set_role_as_operator

Role = Membership.Role


class Command(BaseCommand):
    help = "Add a person to a tenant by email, or change their role if they are already a member."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The tenant's slug")
        parser.add_argument("email", help="The person's email")
        parser.add_argument("--role", choices=Role.values, default=Role.MEMBER, help="Default: member")

    def handle(self, *args: object, slug: str, email: str, role: str, **options: object) -> None:
        tenant = get_tenant(slug)
        email = clean_email(email)
        try:
            before = set_role_as_operator(tenant, user_for(email), role)
        except TeamError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Changed" if before else "Added"
        self.stdout.write(self.style.SUCCESS(f"{verb} {email} as {role} of {slug!r}."))
