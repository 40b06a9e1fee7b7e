"""Model signals: a new document is queued once its row is committed; a deleted one loses its file."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from documents.models import Document
from documents.queueing import enqueue


@receiver(post_save, sender=Document, dispatch_uid="documents_enqueue_new")
def enqueue_new_document(sender: type[Document], instance: Document, created: bool, **kwargs: Any) -> None:
    # `skip_enqueue`: the ingest command runs the pipeline itself, inline.
    if created and instance.status == Document.Status.QUEUED and not getattr(instance, "skip_enqueue", False):
        enqueue(instance.pk)


@receiver(post_delete, sender=Document, dispatch_uid="documents_delete_file")
def delete_file(sender: type[Document], instance: Document, **kwargs: Any) -> None:
    """Remove the stored PDF once the deletion commits (chunks go with the row, by cascade)."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
