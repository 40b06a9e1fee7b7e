import hashlib
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from chat.models import ChatSession, Message
from chat.tests.factories import add_chunks
from docuchat.testing import Cast
from documents import index, vectors
from documents.models import Chunk, Document
from tenants import deletion
from tenants.deletion import delete_tenant
from tenants.models import AuditEntry, Invitation, Membership, Tenant
from usage import metering
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def add_document(tenant: Tenant, title: str) -> Document:
    document = Document.objects.create(
        tenant=tenant, title=title, sha256=hashlib.sha256(title.encode()).hexdigest(), status="ready"
    )
    document.file.save("x.pdf", ContentFile(b"%PDF-1.4 " + title.encode()), save=True)
    add_chunks(document, [f"{title} {i}" for i in range(3)])  # with their vectors
    return document


def fill(cast: Cast) -> dict[str, object]:
    """Documents with files and chunks, a chat, usage, an invitation and audit entries in acme; a
    document in globex that must survive."""
    acme_docs = [add_document(cast.acme, "Handbook"), add_document(cast.acme, "Prices")]
    globex_doc = add_document(cast.globex, "Globex plan")
    session = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Refunds?")
    Message.objects.create(session=session, role="user", content="How do refunds work?")
    metering.record(cast.acme, cast.member, metering.Kind.CHAT, "gpt-4o-mini", 1000, 100)
    metering.record(cast.globex, cast.other, metering.Kind.CHAT, "gpt-4o-mini", 10, 1)
    Invitation.objects.create(
        tenant=cast.acme, email="x@acme.test", token_hash="h" * 64, expires="2099-01-01T00:00Z"
    )
    AuditEntry.objects.create(tenant=cast.acme, action="settings.changed")
    return {"acme_docs": acme_docs, "globex_doc": globex_doc}


def file_path(document: Document) -> Path:
    return Path(document.file.path)


def test_it_deletes_the_workspace_after_the_owner_types_the_slug(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    made = fill(cast)
    acme_id = cast.acme.pk
    files = [file_path(d) for d in made["acme_docs"]]
    assert all(f.exists() for f in files)
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/t/acme/settings/delete/", {"confirm": "acme"})
    assert response.url == "/"
    assert not Tenant.objects.filter(slug="acme").exists()
    assert not Document.objects.filter(title__in=["Handbook", "Prices"]).exists()
    assert not Chunk.objects.filter(document__title__in=["Handbook", "Prices"]).exists()
    assert not ChatSession.objects.exists() and not Message.objects.exists()
    assert not Membership.objects.filter(tenant__slug="acme").exists()
    assert not Invitation.objects.exists() and not AuditEntry.objects.exists()
    assert not any(f.exists() for f in files)
    # the other tenant is untouched
    assert file_path(made["globex_doc"]).exists()
    assert Chunk.objects.filter(tenant=cast.globex).count() == 3
    store = index.current(cast.globex).store  # the vectors went with the chunks, only acme's
    assert vectors.count(store, acme_id) == 0 and vectors.count(store, cast.globex.pk) == 3


def test_it_keeps_usage_records_anonymised_for_billing(
    client: Client, cast: Cast, django_capture_on_commit_callbacks
) -> None:
    fill(cast)
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/t/acme/settings/delete/", {"confirm": "acme"})
    kept = UsageRecord.objects.get(tenant_slug="acme")
    assert (kept.tenant_id, kept.user_id, kept.document_id) == (None, None, None)
    assert (kept.prompt_tokens, kept.completion_tokens, kept.model) == (1000, 100, "gpt-4o-mini")
    assert kept.cost > 0
    globex = UsageRecord.objects.get(tenant_slug="globex")
    assert (globex.tenant_id, globex.user_id) == (cast.globex.pk, cast.other.pk)


def test_it_refuses_a_wrong_confirmation(client: Client, cast: Cast) -> None:
    fill(cast)
    client.force_login(cast.owner)
    response = client.post("/t/acme/settings/delete/", {"confirm": "Acme"})
    assert response.status_code == 400
    assert "Type “acme” exactly to delete this workspace." in response.content.decode()
    assert Tenant.objects.filter(slug="acme").exists()
    assert Document.objects.filter(tenant=cast.acme).count() == 2


def test_it_lets_only_an_owner_delete(client: Client, cast: Cast) -> None:
    Membership.objects.filter(tenant=cast.acme, user=cast.member).update(role="admin")
    client.force_login(cast.member)
    response = client.post("/t/acme/settings/delete/", {"confirm": "acme"})
    assert response.status_code == 403
    assert "Only an owner can delete the workspace." in response.content.decode()
    client.force_login(cast.other)
    assert client.post("/t/acme/settings/delete/", {"confirm": "acme"}).status_code == 404
    assert Tenant.objects.filter(slug="acme").exists()


def test_it_keeps_everything_when_the_deletion_fails_midway(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    made = fill(cast)
    with (
        mock.patch.object(Tenant, "delete", side_effect=RuntimeError("disk on fire")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        delete_tenant(cast.acme)
    assert callbacks == []  # the files are only deleted after a commit
    assert all(file_path(d).exists() for d in made["acme_docs"])
    assert Document.objects.filter(tenant=cast.acme).count() == 2
    assert UsageRecord.objects.get(tenant_slug="acme").user_id == cast.member.pk


def test_it_refuses_a_person_who_is_not_an_owner(cast: Cast) -> None:
    with pytest.raises(deletion.NotAllowed):
        delete_tenant(cast.acme, actor=cast.member)
    assert Tenant.objects.filter(slug="acme").exists()


def test_it_works_without_the_optional_apps(cast: Cast, django_capture_on_commit_callbacks) -> None:
    """Deletion must not depend on apps that another change may not have added yet."""
    real = deletion._model
    with (
        mock.patch.object(
            deletion, "_model", lambda label: None if label.startswith("usage.") else real(label)
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = delete_tenant(cast.acme)
    assert report.usage_records_kept == 0
    assert not Tenant.objects.filter(slug="acme").exists()


def run_command(*args: str, answer: str | None = None) -> str:
    out = StringIO()
    with mock.patch("builtins.input", return_value=answer) as prompt:
        call_command("delete_tenant", *args, stdout=out, stderr=StringIO())
    if answer is None:
        prompt.assert_not_called()
    return out.getvalue()


def test_the_command_deletes_after_the_slug_is_typed(cast: Cast, django_capture_on_commit_callbacks) -> None:
    made = fill(cast)
    with django_capture_on_commit_callbacks(execute=True):
        out = run_command("acme", answer="acme")
    assert "3 member(s)" not in out  # cast: owner and member
    assert "2 member(s), 2 document(s)" in out
    assert "Deleted tenant 'acme': 2 document(s), 2 file(s), 6 chunk(s); kept 1 usage record(s)" in out
    assert not Tenant.objects.filter(slug="acme").exists()
    assert not any(file_path(d).exists() for d in made["acme_docs"])


def test_the_command_stops_without_confirmation(cast: Cast) -> None:
    fill(cast)
    with pytest.raises(CommandError, match="Not confirmed; nothing was deleted"):
        run_command("acme", answer="no")
    assert Tenant.objects.filter(slug="acme").exists()


@pytest.mark.parametrize("flag", ["--yes", "--noinput", "--no-input"])
def test_the_command_skips_the_prompt_with_yes(cast: Cast, flag: str) -> None:
    assert "Deleted tenant 'acme'" in run_command("acme", flag)
    assert not Tenant.objects.filter(slug="acme").exists()
    assert User.objects.filter(email="owner@acme.test").exists()  # people are kept


def test_the_command_names_an_unknown_tenant(db: None) -> None:
    with pytest.raises(CommandError, match="Unknown tenant 'nope'"):
        run_command("nope", "--yes")
