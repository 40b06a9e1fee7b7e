"""Scores of a set of questions with known answers: hit@1, hit@k and mean reciprocal rank.

A source answers a question when it comes from the expected document and any page it covers is
one of the expected pages. Pure functions: no database, so the benchmark, the command and the
page all score alike.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evaluation.search import Found


@dataclass(frozen=True)
class Expected:
    document_id: int
    pages: frozenset[int]


def matches(found: Found, expected: Expected) -> bool:
    return found.document_id == expected.document_id and any(p in expected.pages for p in found.pages())


def rank_of(results: Sequence[Found], expected: Expected) -> int | None:
    """The 1-based rank of the first source that answers, or None when none of them does."""
    for rank, found in enumerate(results, start=1):
        if matches(found, expected):
            return rank
    return None


@dataclass(frozen=True)
class Scores:
    questions: int
    hit_at_1: float
    hit_at_k: float
    mrr: float
    k: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "questions": self.questions,
            "hit_at_1": round(self.hit_at_1, 4),
            "hit_at_k": round(self.hit_at_k, 4),
            "mrr": round(self.mrr, 4),
            "k": self.k,
        }


def summarise(ranks: Iterable[int | None], k: int) -> Scores:
    """hit@1, hit@k and MRR (a question not answered in the top k adds 0) over `ranks`."""
    ranks = list(ranks)
    n = len(ranks)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0, k)
    found = [r for r in ranks if r is not None and r <= k]
    return Scores(
        questions=n,
        hit_at_1=sum(1 for r in found if r == 1) / n,
        hit_at_k=len(found) / n,
        mrr=sum(1 / r for r in found) / n,
        k=k,
    )
