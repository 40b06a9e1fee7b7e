from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants import audit
from tenants.management.commands._args import clean_email, get_tenant, user_for
from tenants.models import Membership

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
        user = user_for(email)
        with transaction.atomic():
            # Lock the owners (as tenants/team.py does) so a concurrent demotion cannot race this one.
            owners = list(
                Membership.objects.select_for_update().filter(tenant=tenant, role=Role.OWNER).order_by("pk")
            )
            membership = Membership.objects.select_for_update().filter(tenant=tenant, user=user).first()
            if membership and membership.role == role:
                raise CommandError(f"{email} is already a {role} of {slug!r}.")
            if membership and membership.role == Role.OWNER and len(owners) == 1:
                raise CommandError(f"{email} is the last owner of {slug!r}; add another owner first.")
            Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
            if membership:
                audit.record(
                    tenant, None, audit.Action.MEMBER_ROLE_CHANGED, email, old=membership.role, new=role
                )
            else:
                audit.record(tenant, None, audit.Action.MEMBER_JOINED, email, role=role, by="operator")
        verb = "Changed" if membership else "Added"
        self.stdout.write(self.style.SUCCESS(f"{verb} {email} as {role} of {slug!r}."))
