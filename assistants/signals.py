"""Every workspace has a default assistant from the moment it exists, however it was created."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from assistants.models import create_default
from tenants.models import Tenant


@receiver(post_save, sender=Tenant, dispatch_uid="assistants_default_for_new_tenant")
def create_default_assistant(
    sender: type[Tenant], instance: Tenant, created: bool, raw: bool, **kwargs: Any
) -> None:
    if created and not raw:  # not while loading fixtures: they bring their own rows
        create_default(instance)
