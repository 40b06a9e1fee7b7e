"""Fixtures for the evaluation tests: the documents tests' storage and task backends, real PDFs."""

import pytest

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import (  # noqa: F401  (fixtures, used by name)
    immediate_tasks,
    live_app_with_worker,
    make_document,
    media,
    tasks_not_run,
)
from evaluation.models import EvalQuestion


def ready_document(
    cast: Cast, *, tenant: str = "acme", pages: int = 5, name: str = "Pump manual.pdf"
) -> Document:
    """A real PDF (one marker word per page) uploaded and indexed, as the worker would."""
    document = make_document(cast, pdfs.text_pdf(pages, seed=hash(name) % 97), tenant=tenant, name=name)
    ready = pipeline.ingest(document.pk, stage=pipeline.Stage.ALL)
    assert ready is not None and ready.status == Document.Status.READY
    return ready


def marker_question(document: Document, page: int, label: str = "") -> EvalQuestion:
    """A question only `page` answers: it quotes the page's marker word."""
    return EvalQuestion.objects.create(
        tenant=document.tenant, document=document, question=f"Where is {pdfs.marker(page)} mentioned?",
        pages=[page], label=label,
    )  # fmt: skip


@pytest.fixture
def pump(cast: Cast) -> Document:
    return ready_document(cast)
