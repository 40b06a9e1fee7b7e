"""`manage.py create_assistant`: the public id on the last line; clear errors, nothing half-made."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assistants.models import Assistant
from chat.tests.factories import make_document
from docuchat.testing import Cast
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_assistant", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_public_id_on_its_last_line(cast: Cast) -> None:
    output = run("acme", "--name", "Support", "--allowed-origin", "https://Shop.example/",
                 "--allowed-origin", "http://localhost:3000")  # fmt: skip

    last = output.strip().splitlines()[-1]
    assistant = Assistant.objects.get(public_id=last)
    assert assistant.tenant == cast.acme and assistant.name == "Support" and assistant.all_documents
    assert assistant.allowed_origins == ["https://shop.example", "http://localhost:3000"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ASSISTANT_CREATED)
    assert entry.actor is None and entry.target == "Support"


def test_it_takes_chosen_documents(cast: Cast) -> None:
    one = make_document(cast.acme, "One", ["First."])
    two = make_document(cast.acme, "Two", ["Second."])

    last = (
        run("acme", "--name", "Docs", "--documents", f"{one.public_id}, {two.public_id}")
        .strip()
        .splitlines()[-1]
    )

    assistant = Assistant.objects.get(public_id=last)
    assert not assistant.all_documents and assistant.document_ids() == frozenset({one.pk, two.pk})
    assert assistant.allowed_origins == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch", "--name", "X"], "Unknown tenant 'nosuch'"),
        (["acme", "--name", "  "], "--name must not be empty"),
        (["acme", "--name", "X", "--documents", "12"], "Not a document id: 12"),
        (["acme", "--name", "X", "--allowed-origin", "shop.example"],
         "--allowed-origin 1, “shop.example”, needs its scheme"),
        (["acme", "--name", "X", "--allowed-origin", "https://ok.example", "--allowed-origin", "https://*.x"],
         "--allowed-origin 2, “https://*.x”, has a wildcard"),
        (["acme", "--name", "Assistant"], "already has an assistant named 'Assistant'"),
    ],
)  # fmt: skip
def test_it_refuses_bad_arguments_clearly(cast: Cast, args: list[str], says: str) -> None:
    with pytest.raises(CommandError, match=says.replace("*", r"\*")):
        run(*args)
    assert Assistant.objects.count() == 2  # the two workspaces' defaults only


def test_it_refuses_another_workspaces_document(cast: Cast) -> None:
    theirs = make_document(cast.globex, "Secret", ["Globex only."])

    with pytest.raises(CommandError, match=f"has no document with id: {theirs.public_id}"):
        run("acme", "--name", "X", "--documents", str(theirs.public_id))
    assert not Assistant.objects.filter(name="X").exists()
