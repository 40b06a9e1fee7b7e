from argparse import SUPPRESS, ArgumentParser, ArgumentTypeError
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.audit import Action, record
from tenants.models import Tenant
from usage.models import Quota

UNLIMITED = "none"


def _tokens(raw: str) -> int | None:
    if raw.lower() == UNLIMITED:
        return None
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise ArgumentTypeError(f"expected a whole number of tokens or 'none', got {raw!r}")
    return value


def _dollars(raw: str) -> Decimal | None:
    if raw.lower() == UNLIMITED:
        return None
    try:
        value = Decimal(raw.lstrip("$"))
    except InvalidOperation:
        value = Decimal(-1)
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise ArgumentTypeError(f"expected dollars with at most 2 decimals or 'none', got {raw!r}")
    return value


class Command(BaseCommand):
    help = "Set a tenant's budgets. 'none' removes a limit. Without options, shows the current budgets."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        given_only = {"default": SUPPRESS}  # so 'none' (unlimited) differs from not given
        parser.add_argument(
            "--monthly-tokens", type=_tokens, help="Tokens per month, or 'none'", **given_only
        )
        parser.add_argument("--monthly-cost", type=_dollars, help="USD per month, or 'none'", **given_only)
        parser.add_argument(
            "--member-daily-tokens", type=_tokens, help="Tokens per member per day, or 'none'", **given_only
        )

    def handle(self, *args: object, slug: str, **options: object) -> None:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"Unknown tenant {slug!r}.")
        fields = ["monthly_tokens", "monthly_cost", "member_daily_tokens"]
        changes = {f: options[f] for f in fields if f in options}  # absent unless given
        with transaction.atomic():  # the budget and its audit entry, or neither
            quota, _ = Quota.objects.get_or_create(tenant=tenant)
            if changes:
                quota = Quota.objects.select_for_update().get(pk=quota.pk)
                before = {f: _show(getattr(quota, f)) for f in changes}
                for name, value in changes.items():
                    setattr(quota, name, value)
                quota.save()
                record(tenant, None, Action.QUOTA_CHANGED, tenant.slug, before=before,
                       after={f: _show(v) for f, v in changes.items()})  # fmt: skip
        self.stdout.write(
            f"{tenant.slug}: monthly tokens {_show(quota.monthly_tokens)}, monthly cost "
            f"{_show(quota.monthly_cost, '$')}, member daily tokens {_show(quota.member_daily_tokens)}"
        )


def _show(value: object, prefix: str = "") -> str:
    return "unlimited" if value is None else f"{prefix}{value}"
