"""A database outage in the middle of indexing is not the document's fault: it is not failed.

The run lets the error go (the worker waits for the database), and the document stays claimed
under a lease that no longer renews, so the recovery sweep queues it again once the lease runs
out. Marking it failed, as for any other error, turned a restart into "Indexing failed".
"""

import pytest
from django.db import OperationalError

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests.conftest import make_document


def test_it_leaves_a_document_cut_off_by_an_outage_to_the_recovery_sweep(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document(cast)

    def outage(run: object) -> None:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(pipeline, "_process", outage)
    with pytest.raises(OperationalError):
        pipeline.ingest(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING and document.error == ""
    assert document.lease_expires is not None  # the sweep re-queues it once this passes


def test_it_still_fails_a_document_on_any_other_error(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    document = make_document(cast)

    def bug(run: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(pipeline, "_process", bug)
    with pytest.raises(ZeroDivisionError):
        pipeline.ingest(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
