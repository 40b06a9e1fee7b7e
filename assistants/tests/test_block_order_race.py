"""Two reorders at once: the second waits for the first's lock on the assistant, then moves on the
fresh order, so the blocks keep one position each (0, 1, 2...) and both moves apply."""

import threading

import pytest
from django.db import connection, transaction

from assistants import editing
from assistants.models import Assistant, InstructionBlock
from docuchat.testing import make_cast


@pytest.mark.django_db(transaction=True)
def test_it_applies_two_concurrent_moves_one_after_the_other() -> None:
    cast = make_cast()
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")
    a, _, c = (
        InstructionBlock.objects.create(assistant=assistant, position=i, text=t) for i, t in enumerate("ABC")
    )
    started, failures = threading.Event(), []

    def move_c_up() -> None:
        try:
            started.set()
            editing.move_block(
                InstructionBlock.objects.select_related("assistant__tenant").get(pk=c.pk), None, "up"
            )
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        editing.move_block(
            InstructionBlock.objects.select_related("assistant__tenant").get(pk=a.pk), None, "down"
        )
        thread = threading.Thread(target=move_c_up)
        thread.start()
        started.wait(5)
        thread.join(1.0)
        assert thread.is_alive(), "the second move should wait for the first one's lock"
    thread.join(10)

    assert not failures
    rows = list(assistant.instruction_blocks.values_list("text", "position"))
    assert rows == [("B", 0), ("C", 1), ("A", 2)]
