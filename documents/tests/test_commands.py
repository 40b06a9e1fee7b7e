from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import override_settings

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document, DocumentVectors
from documents.tests import pdfs
from documents.tests.conftest import enqueued_ids, ingest_now, make_document
from tenants.models import AuditEntry
from usage.models import UsageRecord


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "incoming"
    (root / "sub").mkdir(parents=True)
    (root / "manual.pdf").write_bytes(pdfs.text_pdf(3))
    (root / "sub" / "Report.PDF").write_bytes(pdfs.unicode_pdf())
    (root / "scan.pdf").write_bytes(pdfs.image_only_pdf(1))
    (root / "locked.pdf").write_bytes(pdfs.encrypted_pdf())
    (root / "notes.txt").write_text("not picked up: not a .pdf")
    return root


def run(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_it_ingests_a_folder_inline_and_reports_each_file(cast: Cast, tmp_path: Path) -> None:
    out, error = run("ingest", str(folder(tmp_path)), "--tenant", "acme")
    assert "     OK  manual.pdf: 3 pages" in out and "     OK  Report.PDF: 3 pages" in out
    assert f" FAILED  scan.pdf: {pipeline.NO_TEXT_AFTER_OCR}" in out  # read by OCR, inline
    assert " FAILED  locked.pdf: This PDF is password-protected." in out
    assert "2 ok, 2 failed" in out and "notes.txt" not in out
    assert str(error) == "2 of 4 file(s) failed."  # the exit status is non-zero
    ready = Document.objects.filter(tenant=cast.acme, status=Document.Status.READY)
    assert sorted(ready.values_list("original_name", flat=True)) == ["Report.PDF", "manual.pdf"]
    assert enqueued_ids() == []  # indexed here, not also queued
    assert UsageRecord.objects.filter(user=None).count() == 2  # operator work
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOCUMENT_UPLOADED, actor=None).count() == 3


def test_it_shows_progress_as_it_goes(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdfs.text_pdf(2))
    out, error = run("ingest", str(path), "--tenant", "acme")
    assert error is None
    assert "[1/1] a.pdf: reading page 0/2" in out and "[1/1] a.pdf: embedding 0/" in out
    assert "[1/1] a.pdf: ready" in out and "1 ok" in out


def test_it_skips_files_the_tenant_already_has_and_succeeds(cast: Cast, tmp_path: Path) -> None:
    data = pdfs.text_pdf(2)
    existing = make_document(cast, data)
    (tmp_path / "again.pdf").write_bytes(data)
    out, error = run("ingest", str(tmp_path / "again.pdf"), "--tenant", "acme")
    assert error is None
    assert f"SKIPPED  again.pdf: already ingested as 'doc' ({existing.public_id})" in out


def test_it_can_leave_the_work_to_the_workers(
    cast: Cast, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    (tmp_path / "a.pdf").write_bytes(pdfs.text_pdf(1))
    with django_capture_on_commit_callbacks(execute=True):
        out, error = run("ingest", str(tmp_path), "--tenant", "acme", "--background")
    document = Document.objects.get()
    assert error is None and "QUEUED  a.pdf" in out
    assert document.status == Document.Status.QUEUED and enqueued_ids() == [document.pk]


def test_it_names_what_is_wrong_with_its_arguments(cast: Cast, tmp_path: Path) -> None:
    assert "Unknown tenant 'nope'" in str(run("ingest", str(tmp_path), "--tenant", "nope")[1])
    assert "No such file or folder" in str(run("ingest", str(tmp_path / "x.pdf"), "--tenant", "acme")[1])
    assert "No PDF files found" in str(run("ingest", str(tmp_path), "--tenant", "acme")[1])


def test_reindex_re_embeds_the_chosen_documents(cast: Cast) -> None:
    first = ingest_now(make_document(cast, pdfs.text_pdf(2)))
    other = ingest_now(make_document(cast, pdfs.text_pdf(2, seed=5), tenant="globex"))
    before = set(first.chunks.values_list("pk", flat=True))
    out, error = run("reindex", "--tenant", "acme")
    assert error is None and f"OK  acme/{first.title}: 2 pages" in out and "1 ok" in out
    assert not set(first.chunks.values_list("pk", flat=True)) & before
    assert UsageRecord.objects.filter(document=other).count() == 1  # the other tenant's was left alone
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOCUMENT_REINDEXED)
    assert entry.actor is None and entry.details["via"] == "command"


def test_reindex_takes_one_document_by_public_or_numeric_id(cast: Cast) -> None:
    document = ingest_now(make_document(cast))
    ingest_now(make_document(cast, pdfs.text_pdf(1, seed=3)))
    for ident in (str(document.public_id), str(document.pk)):
        out, error = run("reindex", "--document", ident)
        assert error is None and "1 ok" in out
    assert "No document" in str(run("reindex", "--document", "00000000-0000-0000-0000-000000000000")[1])
    assert "public id" in str(run("reindex", "--document", "nonsense")[1])


def test_reindex_after_a_model_change_takes_only_outdated_documents(cast: Cast) -> None:
    old = ingest_now(make_document(cast))
    DocumentVectors.objects.filter(document=old).delete()  # no vectors of the workspace's model
    ingest_now(make_document(cast, pdfs.text_pdf(1, seed=4)))
    out, error = run("reindex", "--outdated")
    assert error is None and "1 ok" in out and old.title in out
    old.refresh_from_db()
    assert old.embedding_model == "offline-wordllama-v1"


@override_settings(OPENAI_API_KEY="sk-x", OPENAI_BASE_URL="http://127.0.0.1:9/v1", OPENAI_MAX_RETRIES=0)
def test_reindex_fails_loudly_when_embedding_fails(cast: Cast) -> None:
    make_document(cast)
    Document.objects.update(status=Document.Status.READY)
    out, error = run("reindex")
    assert "FAILED" in out and "could not be reached" in out
    assert str(error) == "1 of 1 document(s) failed."


def test_reindex_skips_documents_already_on_their_way(cast: Cast) -> None:
    make_document(cast)  # queued
    out, error = run("reindex")
    assert error is None and "already queued or being indexed" in out


def test_reindex_can_queue_for_the_workers(cast: Cast, django_capture_on_commit_callbacks) -> None:
    document = ingest_now(make_document(cast))
    with django_capture_on_commit_callbacks(execute=True):
        out, error = run("reindex", "--background")
    assert error is None and "QUEUED" in out and enqueued_ids() == [document.pk]
