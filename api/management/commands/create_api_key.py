"""manage.py create_api_key <slug> --name NAME --scopes chat,documents:read [--assistant ID]

Prints the key on its last line (it is shown only this once), so scripts can take `| tail -1`.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api import keys
from api.access import parse_id
from api.models import Scope
from assistants.models import Assistant
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a workspace and print it (on the last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The workspace's slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated, of: {', '.join(Scope.values)}."
        )
        parser.add_argument("--assistant", default="", help="Limit the key to this assistant (its id).")
        parser.add_argument("--rate", type=int, default=None, help="Requests per minute.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No workspace {options['slug']!r}.")
        fields: dict[str, Any] = {}
        if options["assistant"]:
            fields["assistant"] = self._assistant(tenant, options["assistant"])
        if options["rate"] is not None:
            if options["rate"] < 1:
                raise CommandError("--rate must be at least 1.")
            fields["rate_per_minute"] = options["rate"]
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            issued = keys.create(tenant, None, options["name"], scopes, **fields)
        except keys.KeyRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created API key {issued.key.name!r} for {tenant.slug} ({', '.join(issued.key.scopes)})."
        )
        self.stdout.write("It is shown only this once:")
        self.stdout.write(issued.secret)

    def _assistant(self, tenant: Tenant, value: str) -> Assistant:
        found = Assistant.objects.filter(tenant=tenant)
        match = found.filter(pk=int(value)).first() if value.isdigit() and len(value) < 18 else None
        if match is None and (public_id := parse_id(value)):
            match = found.filter(public_id=public_id).first()
        if match is None:
            raise CommandError(f"No assistant {value!r} in {tenant.slug}.")
        return match
