"""Every workspace has a default assistant: created with it, and, for workspaces that existed before
assistants, made by a migration from the workspace's own instructions and model."""

from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from assistants.models import Assistant, create_default, split_instructions
from tenants.models import Tenant, create_tenant

BEFORE = [("assistants", "0001_initial"), ("tenants", "0003_teams")]


@pytest.mark.django_db
def test_it_gives_a_new_workspace_its_default_assistant() -> None:
    tenant = create_tenant(name="Acme", slug="acme", owner=User.objects.for_email("o@acme.test"))
    other = Tenant.objects.create(name="Made in admin", slug="admin-made")

    for workspace in (tenant, other):
        (assistant,) = Assistant.objects.filter(tenant=workspace)
        assert assistant.is_default and assistant.name == "Assistant"
        assert assistant.all_documents and assistant.widget_enabled and assistant.allowed_origins == []
        assert not assistant.widget_live  # no origin may embed it yet


@pytest.mark.django_db
def test_it_allows_one_default_assistant_per_workspace() -> None:
    tenant = Tenant.objects.create(name="Acme", slug="acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        create_default(tenant)
    Assistant.objects.create(tenant=tenant, name="Support")  # more assistants are fine
    assert Assistant.objects.filter(tenant=tenant).count() == 2


def test_it_cuts_instructions_into_blocks_of_at_most_500_characters() -> None:
    long_paragraph = " ".join(["word"] * 150)  # 749 characters
    text = f"Answer in French.\r\n\r\nBe brief.\n\n{long_paragraph}\n\n" + "x" * 600

    blocks = split_instructions(text)

    assert blocks[0] == "Answer in French.\n\nBe brief."  # short paragraphs share a block
    assert all(len(b) <= 500 for b in blocks)
    assert " ".join(blocks[1:3]) == long_paragraph  # cut between words
    assert blocks[3:] == ["x" * 500, "x" * 100]  # one word longer than a block is cut where it must be
    assert split_instructions("") == []


def migrate(targets: list[tuple[str, str]] | None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    yield
    migrate(None)


@pytest.mark.django_db(transaction=True)
def test_it_moves_each_workspaces_instructions_and_model_into_its_default_assistant(
    back_to_latest: None,
) -> None:
    migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    instructions = "Answer in French.\n\n" + " ".join(["Always cite the page."] * 30)
    old.get_model("tenants", "Tenant").objects.create(
        name="Acme", slug="acme", assistant_instructions=instructions, default_model="gpt-4o"
    )
    old.get_model("tenants", "Tenant").objects.create(name="Globex", slug="globex")

    migrate(None)

    acme = Assistant.objects.get(tenant__slug="acme")
    assert acme.is_default and acme.model == "gpt-4o"
    blocks = list(acme.instruction_blocks.values_list("text", flat=True))
    assert len(blocks) == 3 and all(len(b) <= 500 for b in blocks)
    assert acme.instructions_text().replace("\n\n", " ") == instructions.replace("\n\n", " ")
    globex = Assistant.objects.get(tenant__slug="globex")
    assert globex.model == "" and not globex.instruction_blocks.exists()

    acme.instruction_blocks.filter(text__startswith="Answer").update(enabled=False)
    migrate(BEFORE)  # and back: the switched-on blocks and the model are the workspace's again
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    restored = old.get_model("tenants", "Tenant").objects.get(slug="acme")
    assert restored.default_model == "gpt-4o"
    assert restored.assistant_instructions.startswith("Always cite the page.")
