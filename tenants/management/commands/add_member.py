from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from tenants.management.commands._args import clean_email, get_tenant, user_for
from tenants.models import Membership


class Command(BaseCommand):
    help = "Add a person to a tenant by email, or change their role if they are already a member."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The tenant's slug")
        parser.add_argument("email", help="The person's email")
        parser.add_argument(
            "--role", choices=Membership.Role.values, default=Membership.Role.MEMBER, help="Default: member"
        )

    def handle(self, *args: object, slug: str, email: str, role: str, **options: object) -> None:
        tenant = get_tenant(slug)
        email = clean_email(email)
        user = user_for(email)
        membership = Membership.objects.filter(tenant=tenant, user=user).first()
        if membership and membership.role == role:
            raise CommandError(f"{email} is already a {role} of {slug!r}.")
        if membership and membership.role == Membership.Role.OWNER and _last_owner(membership):
            raise CommandError(f"{email} is the last owner of {slug!r}; add another owner first.")
        Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
        verb = "Changed" if membership else "Added"
        self.stdout.write(self.style.SUCCESS(f"{verb} {email} as {role} of {slug!r}."))


def _last_owner(membership: Membership) -> bool:
    owners = Membership.objects.filter(tenant=membership.tenant, role=Membership.Role.OWNER)
    return owners.count() == 1
