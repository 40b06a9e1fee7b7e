"""The offline semantic embedder: WordLlama's bundled model, with hashed words of other scripts.

WordLlama (the `wordllama` package, "l2_supercat" at 256 dimensions) is a static embedding: a
vector per token of Llama 2's tokenizer, averaged over a text. Its weights and tokenizer ship in the
wheel, and this module reads them straight from the package's folder. WordLlama's own loader is not
used: it looks for the tokenizer in a folder that does not exist (`tokenizer/`, not `tokenizers/`)
and then tries to download it, and importing the package configures the root logger.

Its vocabulary is mostly English: a Persian word falls apart into bytes, and Russian into pieces.
So the vector has a second half: the signed feature hashing of the earlier offline model
(offline-hash-v1), over the words and word pairs that are not in the Latin script, weighted by
their share of the text. English text has an empty second half, so two English texts compare by
WordLlama alone; two Persian texts compare mostly by their shared words, as before.

    vector = normalise([wordllama(text) * (1 - share), hashed(non-Latin words) * share])
"""

import hashlib
import importlib.util
import math
import re
import threading
from collections.abc import Callable, Sequence
from functools import cache
from itertools import batched, pairwise
from pathlib import Path
from typing import Any

from django.conf import settings

from docuchat.lib.tokens import count_tokens
from documents.embeddings import Embeddings

MODEL = "offline-wordllama-v1"
SEMANTIC_DIMENSIONS = 256
HASHED_DIMENSIONS = 256
DIMENSIONS = SEMANTIC_DIMENSIONS + HASHED_DIMENSIONS
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
WORDS = re.compile(r"\w+", re.UNICODE)
LATIN = re.compile(r"^[\dA-Za-z\u00c0-\u024f_]+$")  # ASCII and Latin-1/Extended letters, digits


class ModelFilesMissing(RuntimeError):
    """The wordllama package, or a file it should bundle, is not installed."""


def package_folder() -> Path:
    """The installed package's folder, found without importing it (its import sets up logging)."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissing("The wordllama package is not installed (pip install -r requirements.txt).")
    return Path(next(iter(spec.submodule_search_locations)))


_lock = threading.Lock()


@cache
def model() -> tuple[Any, Any]:
    """(tokenizer, embedding matrix), read once per process from the package's own files."""
    import numpy as np
    from safetensors import safe_open
    from tokenizers import Tokenizer

    folder = package_folder()
    weights, tokenizer_file = folder / WEIGHTS, folder / TOKENIZER
    for path in (weights, tokenizer_file):
        if not path.is_file():
            raise ModelFilesMissing(f"WordLlama's bundled file {path} is missing: reinstall wordllama.")
    with _lock:
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        with safe_open(str(weights), framework="np", device="cpu") as f:
            matrix = np.ascontiguousarray(f.get_tensor("embedding.weight").astype(np.float32))
    return tokenizer, matrix


class WordLlamaEmbedder:
    """Offline, semantic, no download: WordLlama's mean token vector beside hashed non-Latin words."""

    model = MODEL
    offline = True

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        if dimensions != DIMENSIONS:
            raise ValueError(f"{MODEL} has {DIMENSIONS} dimensions, not {dimensions}.")
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Embeddings:
        result = Embeddings(model=self.model)
        for batch in batched(texts, settings.EMBEDDING_BATCH_SIZE):
            result.vectors.extend(self.vectors(list(batch)))
            result.tokens += sum(count_tokens(text) for text in batch)
            if on_batch:
                on_batch(len(batch))
        return result

    def vectors(self, texts: list[str]) -> list[list[float]]:
        return self.matrix(texts).tolist()

    def matrix(self, texts: list[str]) -> Any:
        """The texts' unit vectors as one float32 array (rows in order)."""
        import numpy as np

        semantic = semantic_vectors(texts)
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            if text.isascii():  # every word is in the Latin script: nothing to hash (the common case)
                out[row, :SEMANTIC_DIMENSIONS] = semantic[row]
                continue
            words = [w.lower() for w in WORDS.findall(text)]
            foreign = [w for w in words if not LATIN.match(w)]
            share = len(foreign) / len(words) if words else 0.0
            out[row, :SEMANTIC_DIMENSIONS] = semantic[row] * (1.0 - share)
            if foreign:
                out[row, SEMANTIC_DIMENSIONS:] = hashed(foreign, HASHED_DIMENSIONS) * share
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def semantic_vectors(texts: list[str]) -> Any:
    """WordLlama's unit vectors of `texts` (the mean of their tokens' vectors); zero for no tokens."""
    import numpy as np

    tokenizer, matrix = model()
    out = np.zeros((len(texts), SEMANTIC_DIMENSIONS), dtype=np.float32)
    for row, encoding in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        ids = np.clip(np.asarray(encoding.ids, dtype=np.int64), 0, matrix.shape[0] - 1)
        if len(ids):
            mean = matrix[ids].mean(axis=0)
            norm = float(np.linalg.norm(mean))
            out[row] = mean / norm if norm else mean
    return out


def hashed(words: list[str], dimensions: int) -> Any:
    """offline-hash-v1's features (signed hashing of words and word pairs, log-scaled), as a unit vector."""
    import numpy as np

    counts: dict[int, float] = {}
    for feature in [*words, *(f"{a} {b}" for a, b in pairwise(words))]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dimensions
        counts[slot] = counts.get(slot, 0.0) + (1.0 if digest[4] & 1 else -1.0)
    vec = np.zeros(dimensions, dtype=np.float32)
    for slot, value in counts.items():
        vec[slot] = math.copysign(1 + math.log(abs(value)), value) if value else 0.0
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec
