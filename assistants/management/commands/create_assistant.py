"""`manage.py create_assistant <slug> --name NAME [--documents all|ID,...] [--allowed-origin ORIGIN ...]`

Prints the new assistant's public id on its last line, for scripts:
`ID=$(manage.py create_assistant acme --name Support | tail -n1)`.
"""

import uuid
from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assistants import editing
from assistants.models import Assistant
from assistants.origins import parse_origins
from documents.models import Document
from tenants.management.commands._args import get_tenant
from tenants.models import Tenant

NAME_CHARS = Assistant._meta.get_field("name").max_length


def documents_of(tenant: Tenant, spec: str) -> list[Document] | None:
    """None for "all"; else the workspace's documents with these public ids (all of them, or an error
    naming the ones it does not have)."""
    if spec.strip().lower() == "all":
        return None
    ids = [part.strip() for part in spec.split(",") if part.strip()]
    if not ids:
        raise CommandError('--documents takes "all" or a comma-separated list of document ids.')
    malformed = [i for i in ids if not _is_uuid(i)]
    if malformed:
        raise CommandError(
            f"Not a document id: {', '.join(malformed)}. Document ids look like {uuid.uuid4()}."
        )
    found = {str(d.public_id): d for d in Document.objects.filter(tenant=tenant, public_id__in=ids)}
    missing = [i for i in ids if str(uuid.UUID(i)) not in found]
    if missing:
        raise CommandError(f"The workspace {tenant.slug!r} has no document with id: {', '.join(missing)}.")
    return list(found.values())


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class Command(BaseCommand):
    help = "Create an assistant in a workspace; prints its public id on the last line."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The workspace's slug")
        parser.add_argument("--name", required=True, help="The assistant's name")
        parser.add_argument(
            "--documents", default="all", help='"all" (the default) or document ids, comma-separated'
        )
        parser.add_argument(
            "--allowed-origin", action="append", default=[], dest="origins", metavar="ORIGIN",
            help="An origin that may embed the widget, like https://shop.example (repeat for more)",
        )  # fmt: skip

    def handle(
        self, *args: object, slug: str, name: str, documents: str, origins: list[str], **options: object
    ) -> None:
        tenant = get_tenant(slug)
        name = " ".join(name.split())
        if not name:
            raise CommandError("--name must not be empty.")
        if len(name) > NAME_CHARS:
            raise CommandError(f"--name is at most {NAME_CHARS} characters; this one has {len(name)}.")
        if Assistant.objects.filter(tenant=tenant, name__iexact=name).exists():
            raise CommandError(f"The workspace {slug!r} already has an assistant named {name!r}.")
        chosen = documents_of(tenant, documents)
        try:
            allowed = parse_origins(origins, what="--allowed-origin")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        assistant = editing.create(
            tenant,
            None,
            name=name,
            all_documents=chosen is None,
            documents=chosen or [],
            allowed_origins=allowed,
        )
        scope = "all documents" if chosen is None else f"{len(chosen)} document(s)"
        widget = ", ".join(allowed) if allowed else "no allowed origins (the widget is off)"
        self.stdout.write(self.style.SUCCESS(f"Created assistant {name!r} in {slug!r}: {scope}; {widget}."))
        self.stdout.write(str(assistant.public_id))
