"""The store that answers a tenant's questions, as every chat turn reads it (index.answering_store)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from docuchat.testing import Cast
from documents import index, vectors
from documents.models import SearchIndex

pytestmark = pytest.mark.django_db


def test_it_creates_the_index_on_first_use_then_reads_its_store_in_one_query(cast: Cast) -> None:
    SearchIndex.objects.filter(tenant=cast.acme).delete()

    created = index.answering_store(cast.acme)
    with CaptureQueriesContext(connection) as queries:
        again = index.answering_store(cast.acme.pk)

    assert created == again == index.current(cast.acme).store and len(queries) == 1
    assert again.model == created.model and again.dimensions == created.dimensions


def test_it_answers_from_the_store_not_the_target_during_a_switch(cast: Cast) -> None:
    store = index.current(cast.acme).store
    target = vectors.store_for("offline-hash-v1", 512)
    SearchIndex.objects.filter(tenant=cast.acme).update(target=target, state=SearchIndex.State.BUILDING)

    assert index.answering_store(cast.acme) == store != target


def test_it_reads_each_tenants_own_store(cast: Cast) -> None:
    hashing = vectors.store_for("offline-hash-v1", 512)
    index.current(cast.acme)
    index.current(cast.globex)
    SearchIndex.objects.filter(tenant=cast.globex).update(store=hashing)

    assert index.answering_store(cast.globex) == hashing
    assert index.answering_store(cast.acme) == index.current(cast.acme).store != hashing
