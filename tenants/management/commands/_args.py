"""Argument checks shared by the tenant commands: each failure is a CommandError that says what to fix."""

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email

from tenants.models import Tenant

if TYPE_CHECKING:
    from accounts.models import User


def clean_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise CommandError(f"Invalid email address: {email!r}.") from None
    return email


def get_tenant(slug: str) -> Tenant:
    try:
        return Tenant.objects.get(slug=slug)
    except Tenant.DoesNotExist:
        raise CommandError(
            f"Unknown tenant {slug!r}. Create it with: manage.py create_tenant {slug} --name ... --owner ..."
        ) from None


def user_for(email: str) -> "User":
    return get_user_model().objects.for_email(email)
