"""Property: whatever is asked, retrieval never returns another tenant's chunk, even when every
tenant holds the very same text (so the nearest neighbours of a question are mostly foreign)."""

import random

import pytest
from django.db import connection, transaction

from accounts.models import User
from chat.retrieval import STOPWORDS, search
from chat.tests.factories import add_chunks, make_document
from documents.models import Chunk
from tenants.models import Tenant, create_tenant

pytestmark = pytest.mark.django_db

SHARED = [
    "Refund policy: customers may return any product within 30 days for a full refund.",
    "Travel expenses are reimbursed within 14 days when receipts are attached.",
    "The office opens at 8 and closes at 18; the badge is needed after hours.",
    "Security incidents are reported to the on-call engineer within one hour.",
    "Vacation requests need two weeks of notice and the manager's approval.",
]
WORDS = sorted({w.strip(".,:;'").lower() for text in SHARED for w in text.split()} - STOPWORDS - {"", "8"})
TENANTS = 25


@pytest.fixture
def tenants() -> list[Tenant]:
    owner = User.objects.for_email("owner@many.test")
    made = []
    for i in range(TENANTS):
        tenant = create_tenant(name=f"Tenant {i}", slug=f"tenant-{i}", owner=owner)
        document = make_document(tenant, "Handbook", SHARED)
        if i % 3 == 0:  # some tenants have more, so that the tenants are not all alike
            add_chunks(
                document, [f"Tenant {i} keeps its own notes on refunds and travel."], first=len(SHARED)
            )
        made.append(tenant)
    return made


def questions(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 4))) for _ in range(count)]


def check_isolation(tenants: list[Tenant], rng: random.Random) -> int:
    answered = 0
    for tenant in rng.sample(tenants, len(tenants)):
        for question in questions(rng, 6):
            hits = search(tenant, question)
            owners = set(
                Chunk.objects.filter(id__in=[h.chunk_id for h in hits]).values_list("tenant", flat=True)
            )
            assert owners <= {tenant.pk}, (tenant.slug, question, owners)
            answered += bool(hits)
    return answered


def test_it_never_returns_another_tenants_chunk(tenants: list[Tenant]) -> None:
    answered = check_isolation(tenants, random.Random(20260302))
    assert answered == TENANTS * 6  # every question matches the shared text: nobody is starved


def test_it_never_returns_another_tenants_chunk_through_the_hnsw_index(tenants: list[Tenant]) -> None:
    """The same, with the planner held to the HNSW index, where the tenant is only a filter."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        answered = check_isolation(tenants, random.Random(7))
    assert answered == TENANTS * 6
