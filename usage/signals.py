"""A changed budget resumes the documents that were waiting for it."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from usage.models import Quota


@receiver(post_save, sender=Quota)
def resume_documents_waiting_for_budget(sender: type[Quota], instance: Quota, **kwargs: Any) -> None:
    from documents.queueing import resume_waiting

    # Each resumed run checks the budget again before embedding, so a budget that is still too
    # small just sends the document back to wait.
    resume_waiting(instance.tenant)
