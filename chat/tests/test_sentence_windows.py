"""Re-ranking by sentence windows: each chunk's two-sentence passages, embedded at ingestion."""

import pytest

from chat import retrieval
from chat.retrieval import RRF_K, by_windows, search
from chat.tests.factories import add_chunks, make_document
from docuchat.testing import Cast
from documents import index, vectors, windows
from documents.models import Chunk

pytestmark = pytest.mark.django_db


FILLER = (
    "The build system reads its configuration from the project file. Compilers are chosen per platform. "
    "Logs are kept for seven days and rotated nightly. The network settings live in a separate file. "
    "Printers are added from the control panel. Fonts are embedded when the document is exported. "
)


def test_it_finds_first_the_chunk_whose_two_sentences_answer(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answer is two sentences in the middle of a chunk about other things: as a whole, that
    # chunk is far from the question, and a short chunk that shares its words ranks first.
    answer = FILLER + "Young dogs may never enter the kitchen, where meals are cooked. " + FILLER
    other = "Pets are welcome in the hotel. Staff enter the building through the side door."
    make_document(cast.acme, "House rules", [answer, other])
    question = "May a young dog enter the room where meals are cooked?"
    assert [hit.page_start for hit in search(cast.acme, question)] == [1, 2]
    monkeypatch.setattr(retrieval, "WINDOW_WEIGHT", 0.0)  # without the windows
    assert [hit.page_start for hit in search(cast.acme, question)] == [2, 1]


def test_it_puts_first_the_candidate_whose_sentence_window_answers() -> None:
    # Chunk 3 is only third by fusion (a full-text match far down), but its nearest window is the
    # closest to the question by far; chunk 1 leads by one place in one half only.
    fused = [(1, 1 / (RRF_K + 1)), (2, 1 / (RRF_K + 2)), (3, 1 / (RRF_K + 3)), (4, 1 / (RRF_K + 4))]
    ranked = by_windows(fused, {3: 0.9, 2: 0.5, 1: 0.2}, limit=3)
    assert [cid for cid, _ in ranked] == [3, 2, 1, 4]  # the fourth was not re-ranked: it stays last
    assert by_windows(fused, {}, limit=3) == fused  # no windows at all: the fused order


def test_a_window_barely_similar_to_the_question_is_no_evidence() -> None:
    fused = [(1, 1 / (RRF_K + 1)), (2, 1 / (RRF_K + 2))]
    low = retrieval.WINDOW_MIN_SIMILARITY - 0.05  # similar by chance: a shared common word
    assert by_windows(fused, {2: low}, limit=2) == fused


def test_a_chunk_without_windows_keeps_its_fused_score() -> None:
    fused = [(1, 0.05), (2, 0.03)]
    ranked = dict(by_windows(fused, {2: 0.9}, limit=2))
    assert ranked[1] == 0.05 and ranked[2] == pytest.approx(0.03 + retrieval.WINDOW_WEIGHT / (RRF_K + 1))


def test_it_packs_windows_in_a_byte_per_dimension_and_keeps_their_direction(cast: Cast) -> None:
    embedder = index.embedder_for(index.current(cast.acme).store)
    text = "Dogs stay outside. Puppies may not enter the kitchen. Meals are cooked at noon."
    (packed,) = windows.compute(embedder, [text])
    assert windows.of_text(text) == [
        "Dogs stay outside. Puppies may not enter the kitchen.",
        "Puppies may not enter the kitchen. Meals are cooked at noon.",
    ]
    assert packed is not None and len(packed) == 2 * (4 + embedder.dimensions)
    exact = embedder.embed(windows.of_text(text)).vectors
    best = windows.best_similarity({7: packed}, embedder.dimensions, exact[1])
    assert best[7] == pytest.approx(1.0, abs=0.01)
    assert windows.compute(embedder, ["", "No full stop here"])[0] is None


def test_it_searches_chunks_indexed_before_windows_existed(cast: Cast) -> None:
    document = make_document(cast.acme, "Guide", ["Refunds are paid within thirty days of the return."])
    add_chunks(document, ["The warranty lasts two years from purchase."], first=1, with_windows=False)
    store = index.current(cast.acme).store
    ids = list(Chunk.objects.filter(document=document).order_by("ordinal").values_list("pk", flat=True))
    assert set(vectors.windows_of(store, cast.acme.pk, ids)) == {ids[0]}  # the old chunk has none
    hits = search(cast.acme, "How long is the warranty?")
    assert hits and hits[0].chunk_id == ids[1]
    assert search(cast.globex, "How long is the warranty?") == []  # another workspace sees none of it
