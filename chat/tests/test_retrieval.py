import re

import pytest
from django.db import connection, transaction

from chat.generation import best_passage
from chat.retrieval import (
    fuse,
    question_words,
    search,
    snippet,
    use_iterative_scan,
    websearch_terms,
)
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents import index, vectors
from documents.models import Chunk
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db

HANDBOOK = [
    "Welcome to Acme. This handbook explains how the company works and who to ask.",
    "Refund policy: customers may return any product within 30 days for a full refund.",
    "Travel expenses are reimbursed within 14 days when receipts are attached.",
]


def test_it_finds_the_chunk_that_answers_with_its_document_and_pages(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)

    hits = search(cast.acme, "What is the refund policy?", user=cast.member)

    assert hits[0].title == "Handbook" and (hits[0].page_start, hits[0].page_end) == (2, 2)
    assert "30 days for a full refund" in hits[0].snippet
    assert [h.chunk_id for h in hits] == sorted(
        {h.chunk_id for h in hits}, key=[h.chunk_id for h in hits].index
    )
    usage = UsageRecord.objects.get()
    assert (
        usage.kind == UsageRecord.Kind.QUERY_EMBEDDING
        and usage.user == cast.member
        and usage.prompt_tokens > 0
    )


def test_it_finds_nothing_without_a_tenant(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    assert search(None, "refund policy") == []
    assert search(cast.acme, "   ") == []
    assert not UsageRecord.objects.exists()


def test_it_says_nothing_is_relevant_rather_than_returning_unrelated_chunks(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    assert search(cast.acme, "Who won the 1998 football world cup?") == []


def test_it_searches_only_the_chosen_documents(cast: Cast) -> None:
    make_document(cast.acme, "Handbook", HANDBOOK)
    other = make_document(cast.acme, "Returns desk", ["The refund policy of the returns desk: 60 days."])

    hits = search(cast.acme, "refund policy", documents=[other])

    assert {h.title for h in hits} == {"Returns desk"}


def test_it_keeps_to_the_top_k(cast: Cast) -> None:
    make_document(
        cast.acme, "Refunds", [f"Refund rule number {i}: refunds are handled by desk {i}." for i in range(12)]
    )
    assert len(search(cast.acme, "refund rule", k=6)) == 6
    assert len(search(cast.acme, "refund rule", k=3)) == 3


def test_it_fuses_rankings_by_reciprocal_rank() -> None:
    fused = fuse([1, 2, 3], [3, 4])
    assert [cid for cid, _ in fused] == [3, 1, 2, 4]  # 3 is in both lists
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)


def test_it_turns_a_question_into_alternatives_for_full_text_search() -> None:
    assert websearch_terms('What is the "refund policy" for laptops?') == '"refund policy" or laptops'
    assert websearch_terms("what is it?") == ""
    assert websearch_terms("Политика возврата?") == "политика or возврата"
    common = frozenset({"refund", "policy"})
    assert websearch_terms("What is the refund policy for laptops?", common) == "laptops"
    assert websearch_terms("What is the refund policy?", common) == "refund policy"  # all common: AND


def test_it_can_use_the_hnsw_index_of_the_tenants_partition_only(cast: Cast) -> None:
    """The query has the shape HNSW serves (ORDER BY embedding <=> q LIMIT n), filter and all,
    and it reads the one partition of the model's vector table that holds the tenant's vectors.

    On a table this small the planner rightly prefers other plans; the benchmark shows it choosing
    HNSW on its own at 100k and 1M chunks (bench/README.md). Here sorting is ruled out to prove
    the index applies.
    """
    make_document(cast.acme, "Handbook", HANDBOOK)
    store = index.current(cast.acme).store
    vector = index.embedder_for(store).embed(["refund"]).vectors[0]
    with transaction.atomic():
        use_iterative_scan(24)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = vectors.explain(store, cast.acme.pk, vector, 24)
    scanned = re.findall(r"Index Scan using (\w+)_embedding_idx on (documents_vectors_\d+_p\d+)", plan)
    assert len(scanned) == 1 and scanned[0][0] == scanned[0][1] == partition_of(store, cast.acme), plan
    assert "Sort" not in plan


def partition_of(store, tenant) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {store.table} WHERE tenant_id = %s LIMIT 1",  # noqa: S608
            [tenant.pk],
        )
        return cursor.fetchone()[0]


def test_it_learns_the_common_words_from_the_databases_statistics(cast: Cast, monkeypatch) -> None:
    from chat import retrieval

    make_document(cast.acme, "Memo", [f"Memo {i}: the quarterly numbers for region {i}." for i in range(40)])
    make_document(cast.globex, "Notes", [f"Note {i} about nothing in particular." for i in range(10)])
    with connection.cursor() as cursor:  # as autovacuum does: the partitions, not their parent
        cursor.execute(
            "SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = %s::regclass",
            [Chunk._meta.db_table],
        )
        for (partition,) in cursor.fetchall():
            cursor.execute(f"ANALYZE {partition}")
    monkeypatch.setattr(retrieval, "_common_words", (float("-inf"), frozenset()))

    common = retrieval.common_words()

    assert {"memo", "quarterly", "numbers", "region"} <= common
    assert "17" not in common  # in one chunk of 40
    assert "note" in common  # 10 of 50 chunks, all of another tenant


def test_it_reads_the_common_words_on_one_thread_while_the_others_wait(monkeypatch) -> None:
    import threading
    import time

    from chat import retrieval

    reads = []

    def slow_read() -> frozenset[str]:
        reads.append(threading.get_ident())
        time.sleep(0.2)
        retrieval._common_words = (time.monotonic(), frozenset({"the"}))
        return frozenset({"the"})

    monkeypatch.setattr(retrieval, "_read_common_words", slow_read)
    monkeypatch.setattr(retrieval, "_common_words", (float("-inf"), frozenset()))
    found = []
    threads = [threading.Thread(target=lambda: found.append(retrieval.common_words())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(reads) == 1 and found == [frozenset({"the"})] * 4


def test_it_weighs_each_partitions_common_words_by_its_rows() -> None:
    from chat.retrieval import frequent

    stats = [(["memo", "rare"], [1.0, 0.5, 0.5, 1.0, 0.0], 10.0), (["rare"], [0.04], 990.0)]
    stats.append((None, None, -1.0))  # a partition never analyzed

    assert frequent(stats) == frozenset()  # memo: 10 of 1,000 rows; rare: 5 + 39.6 of 1,000
    assert frequent(stats[:1]) == {"memo", "rare"}
    assert frequent([(["one", "two"], [0.1, 0.5], 40.0)]) == {"two"}  # "one": 4 of 40 rows, still rare


def test_it_never_calls_a_word_of_a_few_chunks_common() -> None:
    """In a workspace of a few chunks every word is in more than 5% of them: the distinctive one
    must still be searched for, not dropped as common."""
    from chat.retrieval import frequent

    stats = [(["pagemarker0003", "mentioned"], [0.5, 0.25], 4.0)]
    assert frequent(stats) == frozenset()


MANUAL = " ".join(
    [*(f"Errors of kind {i} are reported with a stack trace." for i in range(8)),
     "To suppress errors you do not care about, write a suppression file and pass it with --suppressions.",
     *(f"Section {i} covers the command line." for i in range(8))]
)  # fmt: skip


def test_it_shows_the_sentence_that_answers_in_the_snippet_not_the_first_matching_word() -> None:
    shown = snippet(MANUAL, "How do I suppress errors?")

    assert shown.startswith("…To suppress errors you do not care about")
    assert len(shown) <= 242 and shown.endswith("…")


def test_it_starts_the_snippet_where_the_offline_answer_quotes_from() -> None:
    question = "How do I suppress errors?"

    quote = best_passage(MANUAL, question_words(question))

    assert snippet(MANUAL, question).removeprefix("…")[:60] == quote[:60]


def test_it_shows_the_end_of_the_text_when_the_answer_is_its_last_sentence() -> None:
    text = " ".join(f"Filler sentence number {i} says nothing." for i in range(20)) + " Refunds take 30 days."

    shown = snippet(text, "How long do refunds take?")

    assert shown.endswith("Refunds take 30 days.") and shown.startswith("…")
    assert shown[1:].split()[0] in text.split()  # from the start of a word
