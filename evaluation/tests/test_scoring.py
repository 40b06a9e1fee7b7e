from evaluation.scoring import Expected, matches, rank_of, summarise
from evaluation.search import Found


def found(document_id: int, start: int, end: int | None = None) -> Found:
    return Found(document_id=document_id, page_start=start, page_end=end or start, page=start)


def test_it_matches_a_source_covering_any_expected_page_of_the_expected_document() -> None:
    expected = Expected(document_id=1, pages=frozenset({5, 6}))
    assert matches(found(1, 4, 5), expected)
    assert matches(found(1, 6), expected)
    assert not matches(found(1, 7, 9), expected)
    assert not matches(found(2, 5), expected)


def test_it_ranks_the_first_answering_source_from_one() -> None:
    expected = Expected(document_id=1, pages=frozenset({3}))
    assert rank_of([found(1, 1), found(2, 3), found(1, 2, 3), found(1, 3)], expected) == 3
    assert rank_of([found(1, 1)], expected) is None
    assert rank_of([], expected) is None


def test_it_summarises_hit_at_1_hit_at_k_and_mrr() -> None:
    scores = summarise([1, 2, None, 4, 7], k=6)
    assert scores.questions == 5
    assert scores.hit_at_1 == 0.2
    assert scores.hit_at_k == 0.6  # rank 7 is outside the top 6
    assert abs(scores.mrr - (1 + 1 / 2 + 1 / 4) / 5) < 1e-9
    empty = {"questions": 0, "hit_at_1": 0.0, "hit_at_k": 0.0, "mrr": 0.0, "k": 6}
    assert summarise([], k=6).as_dict() == empty
