"""PDF bombs fail with a message naming the bound they hit, and the next document goes normally.

Extraction runs in a child process (documents/extraction.py), so the bombs cost this process
nothing: the memory bomb runs out of the child's own RLIMIT_AS, the CPU bombs are killed at
their deadline.
"""

import time

from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from documents import pipeline
from documents.models import Document
from documents.tests import bombs, pdfs
from documents.tests.conftest import make_document


def ingest(cast: Cast, data: bytes, name: str) -> Document:
    document = pipeline.ingest(make_document(cast, data, name=name).pk)
    assert document is not None
    return document


def assert_next_document_goes_normally(cast: Cast) -> None:
    document = ingest(cast, pdfs.text_pdf(2), "after.pdf")
    assert document.status == Document.Status.READY, document.error


def test_it_fails_a_memory_bomb_at_the_memory_limit(cast: Cast, settings: SettingsWrapper) -> None:
    settings.MAX_EXTRACTION_MEMORY_MB = 400
    bomb = bombs.memory_bomb(150)  # 0.4 MB that inflates to 150 MB of drawing operators
    assert len(bomb) < 1024 * 1024
    document = ingest(cast, bomb, "bomb.pdf")
    assert document.status == Document.Status.FAILED
    assert document.error == "Reading page 1 needed more than the 400 MB memory limit."
    assert_next_document_goes_normally(cast)


def test_it_fails_a_cpu_bomb_at_the_time_limit_for_a_document(cast: Cast, settings: SettingsWrapper) -> None:
    settings.MAX_EXTRACTION_SECONDS = 2
    started = time.monotonic()
    document = ingest(cast, bombs.cpu_bomb(pages=80, megabytes=10), "slow.pdf")  # minutes unbounded
    assert document.status == Document.Status.FAILED
    assert document.error.startswith("Reading this PDF took longer than the 2-second limit for a document")
    assert time.monotonic() - started < 30
    assert_next_document_goes_normally(cast)


def test_it_fails_a_page_over_the_time_limit_for_a_page(cast: Cast, settings: SettingsWrapper) -> None:
    settings.MAX_PAGE_SECONDS = 1
    document = ingest(cast, bombs.cpu_bomb(pages=2, megabytes=60), "slow-page.pdf")
    assert document.status == Document.Status.FAILED
    assert document.error == "Reading page 1 took longer than the 1-second limit for a page."
    assert_next_document_goes_normally(cast)
