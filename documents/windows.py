"""Sentence windows: each chunk's passages of two sentences, embedded at ingestion (offline models).

A chunk of about 400 tokens covers several topics; its one vector is their average, so a question
about one of them, worded differently from the text, often finds the chunk far down the list. The
search re-ranks its best fused candidates by their nearest window (chat.retrieval.rerank_by_windows):
docs/retrieval.md has the measurements.

Only offline embedders get windows: they run locally in milliseconds, and a remote model would
bill every window. The vectors are stored with the chunk's own vector, in the model's table
(documents/vectors.py, column `windows`), compactly: one byte per dimension, scaled per window.

    bytes = float32 scale[n] + int8 value[n * dimensions]     vector[i] = value[i] * scale[i]

A chunk indexed before windows existed has NULL there and keeps its fused rank; re-indexing the
document (or switching its model) fills them.
"""

import re
from collections.abc import Sequence
from typing import Any

SENTENCE = re.compile(r"(?<=[.!?。])\s+")
SENTENCES_PER_WINDOW = 2  # measured against 1 and 3 on bench/eval (docs/retrieval.md)
# Chunks whose windows are embedded in one batch: the vectors come back as Python floats (about
# 16 KB a window at 512 dimensions), so a whole manual's windows at once would cost the worker
# hundreds of MB; packed, a window is about 520 bytes.
CHUNKS_PER_BATCH = 32


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace collapsed (the search's own split: chat.retrieval.sentences_of)."""
    return [s for s in SENTENCE.split(" ".join(text.split())) if s]


def of_text(text: str, size: int | None = None) -> list[str]:
    """Every run of `size` (SENTENCES_PER_WINDOW) consecutive sentences, stride one; the whole
    text when it has fewer."""
    size = size or SENTENCES_PER_WINDOW
    parts = sentences(text)
    if len(parts) <= size:
        return [" ".join(parts)] if parts else []
    return [" ".join(parts[i : i + size]) for i in range(len(parts) - size + 1)]


def compute(embedder: Any, texts: Sequence[str]) -> list[bytes | None]:
    """The packed window vectors of each text, embedded CHUNKS_PER_BATCH texts at a time; None for a
    text without words or for a model that is not offline."""
    if not getattr(embedder, "offline", False):
        return [None] * len(texts)
    out: list[bytes | None] = []
    for start in range(0, len(texts), CHUNKS_PER_BATCH):
        per_text = [of_text(text) for text in texts[start : start + CHUNKS_PER_BATCH]]
        flat = [window for windows in per_text for window in windows]
        vectors = embed(embedder, flat) if flat else []
        at = 0
        for windows in per_text:
            out.append(pack(vectors[at : at + len(windows)]) if windows else None)
            at += len(windows)
    return out


def embed(embedder: Any, texts: list[str]) -> Any:
    """The texts' vectors: as one array, without counting their tokens, when the embedder can (the
    windows are not billed, and a list of Python floats costs time and memory)."""
    direct = getattr(embedder, "matrix", None)
    return direct(texts) if callable(direct) else embedder.embed(texts).vectors


def pack(vectors: Sequence[Sequence[float]]) -> bytes:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(matrix).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    values = np.rint(matrix / scales[:, None]).astype(np.int8)
    return scales.astype(np.float32).tobytes() + values.tobytes()


def unpack(data: bytes | memoryview, dimensions: int) -> Any:
    """The (n, dimensions) float32 matrix of packed windows."""
    import numpy as np

    raw = bytes(data)
    n = len(raw) // (4 + dimensions)
    scales = np.frombuffer(raw, dtype=np.float32, count=n)
    values = np.frombuffer(raw, dtype=np.int8, offset=4 * n).reshape(n, dimensions)
    return values.astype(np.float32) * scales[:, None]


def best_similarity(packed: dict[int, bytes], dimensions: int, question: Sequence[float]) -> dict[int, float]:
    """{chunk id: cosine similarity of its nearest window to the question}: one matrix product."""
    import numpy as np

    if not packed:
        return {}
    ids, matrices = [], []
    for chunk_id, data in packed.items():
        matrix = unpack(data, dimensions)
        if len(matrix):
            ids.append((chunk_id, len(matrix)))
            matrices.append(matrix)
    if not matrices:
        return {}
    scores = np.concatenate(matrices) @ np.asarray(question, dtype=np.float32)
    out, at = {}, 0
    for chunk_id, n in ids:
        out[chunk_id] = float(scores[at : at + n].max())
        at += n
    return out
