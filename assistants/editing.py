"""Every change to an assistant, each with its audit entry in the same transaction.

The Assistants page and the `create_assistant` command both go through here, so nothing changes
an assistant without the audit log saying who did what.
"""

from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from assistants.models import MAX_BLOCKS, Assistant, InstructionBlock
from tenants import audit
from tenants.models import Tenant

DEFAULT_UNDELETABLE = (
    "The default assistant cannot be deleted: the staff chat and every conversation whose "
    "assistant was deleted use it. Change it instead."
)


GONE = "This instruction was deleted meanwhile: the list below is up to date."


class EditError(Exception):
    """A change that cannot be made; str() says why, for the person."""


def _touch(assistant: Assistant) -> None:
    Assistant.objects.filter(pk=assistant.pk).update(updated=timezone.now())


def created(tenant: Tenant, actor: Any, assistant: Assistant) -> None:
    audit.record(
        tenant, actor, audit.Action.ASSISTANT_CREATED, assistant.name, assistant=str(assistant.public_id)
    )


def create(tenant: Tenant, actor: Any, **fields: Any) -> Assistant:
    documents = fields.pop("documents", None)
    with transaction.atomic():
        assistant = Assistant.objects.create(tenant=tenant, **fields)
        if documents:
            assistant.documents.set(documents)
        created(tenant, actor, assistant)
    return assistant


def changed(assistant: Assistant, actor: Any, **details: Any) -> None:
    """Record a change (inside the caller's transaction) and mark the assistant updated."""
    _touch(assistant)
    audit.record(
        assistant.tenant, actor, audit.Action.ASSISTANT_CHANGED, assistant.name,
        assistant=str(assistant.public_id), **details,
    )  # fmt: skip


def delete(assistant: Assistant, actor: Any) -> None:
    if assistant.is_default:
        raise EditError(DEFAULT_UNDELETABLE)
    with transaction.atomic():
        locked = Assistant.objects.select_for_update().filter(pk=assistant.pk, is_default=False).first()
        if locked is None:
            raise EditError("This assistant was already deleted.")
        audit.record(
            assistant.tenant, actor, audit.Action.ASSISTANT_DELETED, assistant.name,
            assistant=str(assistant.public_id),
        )  # fmt: skip
        locked.delete()  # its conversations stay, answered by the default assistant from now on


def add_block(assistant: Assistant, actor: Any, text: str) -> InstructionBlock:
    with transaction.atomic():
        Assistant.objects.select_for_update().get(pk=assistant.pk)  # one position per block, in order
        blocks = assistant.instruction_blocks.all()
        if blocks.count() >= MAX_BLOCKS:
            raise EditError(
                f"An assistant has at most {MAX_BLOCKS} instruction blocks: merge or delete some first."
            )
        last = blocks.aggregate(last=Max("position"))["last"]
        block = InstructionBlock.objects.create(
            assistant=assistant, text=text, position=0 if last is None else last + 1
        )
        changed(assistant, actor, block="added", text=text)
    return block


def edit_block(block: InstructionBlock, actor: Any, text: str) -> None:
    with transaction.atomic():
        old = block.text
        block.text = text
        block.save(update_fields=["text"])
        if old != text:
            changed(block.assistant, actor, block="edited", old=old, new=text)


def toggle_block(block: InstructionBlock, actor: Any) -> None:
    with transaction.atomic():
        if not InstructionBlock.objects.filter(pk=block.pk).update(enabled=~F("enabled")):
            raise EditError(GONE)
        block.refresh_from_db(fields=["enabled"])
        state = "switched on" if block.enabled else "switched off"
        changed(block.assistant, actor, block=state, text=block.text[:100])


def move_block(block: InstructionBlock, actor: Any, direction: str) -> None:
    """Swap the block with its neighbour above ("up") or below ("down"); at an end, nothing moves.

    The assistant's row is locked first, so two moves at once cannot give two blocks one place.
    """
    with transaction.atomic():
        Assistant.objects.select_for_update().get(pk=block.assistant_id)
        ordered = list(
            InstructionBlock.objects.filter(assistant_id=block.assistant_id).order_by("position", "id")
        )
        index = next((i for i, b in enumerate(ordered) if b.pk == block.pk), None)
        if index is None:
            raise EditError(GONE)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            return
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered):  # renumbered 0..n-1: gaps and ties go away
            if each.position != position:
                InstructionBlock.objects.filter(pk=each.pk).update(position=position)
        changed(block.assistant, actor, block=f"moved {direction}", text=block.text[:100])


def delete_block(block: InstructionBlock, actor: Any) -> None:
    with transaction.atomic():
        block.delete()
        changed(block.assistant, actor, block="deleted", text=block.text)
