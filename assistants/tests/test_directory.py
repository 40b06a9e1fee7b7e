"""The assistant a turn reads (assistants.directory): one query, the same config as the model's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistants.directory import Assistants
from assistants.models import Assistant, InstructionBlock
from chat.callers import BUILT_IN
from chat.tests.factories import make_document
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(cast: Cast) -> Assistant:
    assistant = Assistant.objects.create(
        tenant=cast.acme, name="Support", model="gpt-4o-mini", all_documents=False,
        not_covered="Ask the desk.", contact_url="https://acme.test/desk",
    )  # fmt: skip
    for position, text, enabled in [(2, "Cite pages.", True), (0, " Be brief. ", True), (1, "Shout.", False)]:
        InstructionBlock.objects.create(assistant=assistant, position=position, text=text, enabled=enabled)
    assistant.documents.set([make_document(cast.acme, "Guide", ["Install it."])])
    return assistant


def test_it_reads_an_assistant_as_its_model_gives_it_in_one_query(support: Assistant, cast: Cast) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = Assistants().by_id(cast.acme, support.pk)

    assert len(queries) == 1
    assert found == support.config()
    assert found.instructions == "Be brief.\n\nCite pages." and found.documents == frozenset(
        support.documents.values_list("pk", flat=True)
    )
    assert Assistants().by_public_id(cast.acme, str(support.public_id)) == found


def test_it_reads_every_document_as_none_and_an_assistant_without_blocks(cast: Cast) -> None:
    default = Assistant.objects.get(tenant=cast.acme, is_default=True)

    found = Assistants().default(cast.acme)

    assert found == default.config() and found.documents is None and found.instructions == ""


def test_it_never_reads_another_tenants_assistant(support: Assistant, cast: Cast) -> None:
    assert Assistants().by_id(cast.globex, support.pk) is None
    assert Assistants().by_public_id(cast.globex, str(support.public_id)) is None
    assert Assistants().by_public_id(cast.acme, "not-a-uuid") is None


def test_it_falls_back_to_the_built_in_assistant_without_a_default(cast: Cast) -> None:
    Assistant.objects.filter(tenant=cast.globex).delete()

    assert Assistants().default(cast.globex) == BUILT_IN
