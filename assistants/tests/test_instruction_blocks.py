"""Instruction blocks: added, edited, switched on and off, reordered on the server, deleted; each
change audited, and the turn sees the switched-on blocks in their order."""

import pytest
from django.test import Client

from assistants.models import BLOCK_CHARS, MAX_BLOCKS, Assistant, InstructionBlock
from docuchat.testing import Cast
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def support(cast: Cast) -> Assistant:
    assistant = Assistant.objects.create(tenant=cast.acme, name="Support")
    for i, text in enumerate(["Be brief.", "Be polite.", "Cite pages."]):
        InstructionBlock.objects.create(assistant=assistant, position=i, text=text)
    return assistant


def texts(assistant: Assistant) -> list[str]:
    return list(assistant.instruction_blocks.values_list("text", flat=True))


def block(assistant: Assistant, text: str) -> InstructionBlock:
    return assistant.instruction_blocks.get(text=text)


def test_it_adds_a_block_at_the_end(owner: Client, support: Assistant) -> None:
    response = owner.post(
        f"/t/acme/assistants/{support.public_id}/instructions/", {"text": " Say thanks. "}, **HX
    )

    assert response.status_code == 200 and 'id="blocks"' in response.content.decode()
    assert "<html" not in response.content.decode()  # the panel only
    assert texts(support) == ["Be brief.", "Be polite.", "Cite pages.", "Say thanks."]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_CHANGED)
    assert entry.details["block"] == "added" and entry.target == "Support"


def test_it_refuses_a_block_over_500_characters(owner: Client, support: Assistant) -> None:
    url = f"/t/acme/assistants/{support.public_id}/instructions/"
    response = owner.post(url, {"text": "x" * (BLOCK_CHARS + 1)}, **HX)

    assert response.status_code == 400
    assert "at most 500 characters; this one has 501" in response.content.decode()
    assert len(texts(support)) == 3 and not AuditEntry.objects.exists()


def test_it_refuses_an_empty_block_and_one_too_many(owner: Client, support: Assistant) -> None:
    url = f"/t/acme/assistants/{support.public_id}/instructions/"
    assert "Write the instruction first." in owner.post(url, {"text": "   "}, **HX).content.decode()
    for i in range(MAX_BLOCKS - 3):
        InstructionBlock.objects.create(assistant=support, position=10 + i, text=f"Rule {i}")

    response = owner.post(url, {"text": "One more"}, **HX)

    assert (
        response.status_code == 409
        and f"at most {MAX_BLOCKS} instruction blocks" in response.content.decode()
    )


def test_it_moves_blocks_up_and_down_on_the_server(owner: Client, support: Assistant) -> None:
    owner.post(
        f"/t/acme/assistants/instructions/{block(support, 'Cite pages.').public_id}/move/",
        {"direction": "up"},
    )
    assert texts(support) == ["Be brief.", "Cite pages.", "Be polite."]

    owner.post(
        f"/t/acme/assistants/instructions/{block(support, 'Be brief.').public_id}/move/",
        {"direction": "down"},
    )
    assert texts(support) == ["Cite pages.", "Be brief.", "Be polite."]

    owner.post(
        f"/t/acme/assistants/instructions/{block(support, 'Cite pages.').public_id}/move/",
        {"direction": "up"},
    )
    assert texts(support) == ["Cite pages.", "Be brief.", "Be polite."]  # already first
    assert list(support.instruction_blocks.values_list("position", flat=True)) == [0, 1, 2]


def test_it_refuses_a_move_that_is_not_up_or_down(owner: Client, support: Assistant) -> None:
    url = f"/t/acme/assistants/instructions/{block(support, 'Be brief.').public_id}/move/"
    response = owner.post(url, {"direction": "sideways"}, **HX)

    assert response.status_code == 400 and "Move a block" in response.content.decode()


def test_it_switches_a_block_off_and_the_assistant_leaves_it_out(owner: Client, support: Assistant) -> None:
    polite = block(support, "Be polite.")

    response = owner.post(f"/t/acme/assistants/instructions/{polite.public_id}/toggle/")

    assert response.status_code == 302 and response.url.endswith("#blocks")
    polite.refresh_from_db()
    assert polite.enabled is False
    assert support.config().instructions == "Be brief.\n\nCite pages."
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_CHANGED)
    assert entry.details["block"] == "switched off"
    owner.post(f"/t/acme/assistants/instructions/{polite.public_id}/toggle/")
    assert support.config().instructions == "Be brief.\n\nBe polite.\n\nCite pages."


def test_it_edits_and_deletes_a_block(owner: Client, support: Assistant) -> None:
    brief = block(support, "Be brief.")
    owner.post(f"/t/acme/assistants/instructions/{brief.public_id}/edit/", {"text": "Be very brief."}, **HX)
    assert texts(support)[0] == "Be very brief."

    owner.post(f"/t/acme/assistants/instructions/{brief.public_id}/delete/", **HX)

    assert texts(support) == ["Be polite.", "Cite pages."]
    actions = list(AuditEntry.objects.order_by("pk").values_list("details__block", flat=True))
    assert actions == ["edited", "deleted"]


def test_it_gives_another_tenants_owner_404_for_a_block(
    client: Client, cast: Cast, support: Assistant
) -> None:
    client.force_login(cast.other)
    brief = block(support, "Be brief.")

    for what in ("edit", "toggle", "move", "delete"):
        for slug in ("acme", "globex"):
            url = f"/t/{slug}/assistants/instructions/{brief.public_id}/{what}/"
            assert client.post(url, {"text": "Hacked", "direction": "down"}).status_code == 404, (slug, what)
    assert (
        client.post(f"/t/globex/assistants/{support.public_id}/instructions/", {"text": "x"}).status_code
        == 404
    )
    assert texts(support) == ["Be brief.", "Be polite.", "Cite pages."] and brief.enabled


def test_it_refuses_a_member_the_blocks(client: Client, cast: Cast, support: Assistant) -> None:
    client.force_login(cast.member)
    brief = block(support, "Be brief.")

    response = client.post(f"/t/acme/assistants/instructions/{brief.public_id}/delete/")

    assert response.status_code == 403 and texts(support)[0] == "Be brief."


def test_it_says_so_when_a_block_was_deleted_meanwhile(
    owner: Client, support: Assistant, monkeypatch
) -> None:
    brief = block(support, "Be brief.")
    found = InstructionBlock.objects.select_related("assistant__tenant").get(pk=brief.pk)
    monkeypatch.setattr("assistants.views.manage.get_instruction_block", lambda request, public_id: found)
    brief.delete()  # by someone else, after this request found it

    for what, data in (("toggle", {}), ("move", {"direction": "down"})):
        response = owner.post(f"/t/acme/assistants/instructions/{found.public_id}/{what}/", data, **HX)
        assert response.status_code == 409 and "deleted meanwhile" in response.content.decode()
