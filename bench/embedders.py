"""Time to embed 1,000 chunks: the offline default (WordLlama) beside the feature-hashing model,
and what ingestion adds for the chunks' sentence windows (documents/windows.py). Wall and CPU time.

    .venv/bin/python bench/embedders.py [--chunks 1000]

The chunks are real text: the pages of bench/eval/pdfs, chunked as the pipeline does (400 tokens).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django

parser = argparse.ArgumentParser()
parser.add_argument("--chunks", type=int, default=1000)
ARGS = parser.parse_args()
setup_django("docuchat_bench_eval")

from documents import chunking, pdf, windows, wordllama  # noqa: E402
from documents.embeddings import OfflineEmbedder  # noqa: E402


def chunks(count: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((Path(__file__).resolve().parent / "eval" / "pdfs").glob("*.pdf")):
        texts += [d.text for d in chunking.chunk_pages(pdf.extract_pages(path))]
    return (texts * (count // max(1, len(texts)) + 1))[:count]


def main() -> None:
    texts = chunks(ARGS.chunks)
    wordllama.model()  # loading the model once per process is not part of embedding
    for label, embedder in [
        ("offline-hash-v1", OfflineEmbedder(512)),
        (wordllama.MODEL, wordllama.WordLlamaEmbedder()),
    ]:
        timed(label, lambda embedder=embedder: embedder.embed(texts), len(texts))
    embedder = wordllama.WordLlamaEmbedder()
    count = sum(len(windows.of_text(text)) for text in texts)
    timed(f"  + its {count:,} sentence windows, packed", lambda: windows.compute(embedder, texts), len(texts))


def timed(label: str, work: object, count: int) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    work()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:42} {count:,} chunks in {wall:6.2f} s ({cpu:.2f} s CPU)", flush=True)


if __name__ == "__main__":
    main()
