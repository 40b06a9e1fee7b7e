"""The one door from evaluation into retrieval: ask it as the chat does, keep what scoring needs.

Everything else in evaluation scores `Found` rows, so a change to chat.retrieval's signature or its
Hit is fixed here, in `retrieve`, and nowhere else.
"""

from dataclasses import dataclass
from typing import Any

from chat import retrieval


@dataclass(frozen=True)
class Found:
    """One source the chat would have been given, in rank order."""

    document_id: int
    page_start: int
    page_end: int
    page: int  # the page a citation of this source opens

    def pages(self) -> range:
        return range(self.page_start, max(self.page_start, self.page_end) + 1)


def retrieve(tenant: Any, question: str, k: int) -> list[Found]:
    """The top `k` sources for `question`, from the same search the chat runs (chat.retrieval.search)."""
    hits = retrieval.search(tenant, question, k=k)
    return [
        Found(
            document_id=hit.document_id,
            page_start=hit.page_start,
            page_end=hit.page_end,
            page=getattr(hit, "page", None) or hit.page_start,
        )
        for hit in hits
    ]
