"""The recognizer's batches of text lines are read side by side, and each line keeps its place."""

import threading
from typing import Any

import numpy as np

from documents.ocr import REC_BATCH, Batches


class Recognizer:
    """Stands in for RapidOCR's: reads a line as its width, and records its batches and threads."""

    def __init__(self, threads: int) -> None:
        self.batches: list[list[int]] = []
        self.together = threading.Barrier(threads, timeout=10)

    def __call__(self, images: list[Any]) -> tuple[list[tuple[str, float]], float]:
        self.together.wait()  # every thread holds a batch at once, or this times out
        self.batches.append([image.shape[1] for image in images])
        return [(str(image.shape[1]), 0.9) for image in images], 0.0


def test_it_reads_batches_side_by_side_and_keeps_each_lines_place() -> None:
    widths = [300, 40, 220, 90, 500, 60]
    images = [np.zeros((20, width, 3), np.uint8) for width in widths]
    recognizer = Recognizer(threads=2)
    results, _ = Batches(recognizer, threads=2)(images)
    assert [text for text, _score in results] == [str(width) for width in widths]
    assert all(len(batch) <= REC_BATCH for batch in recognizer.batches)
    # lines of similar width share a batch, so that little of it is padding
    assert sorted(map(sorted, recognizer.batches)) == [[40, 60, 90], [220, 300, 500]]
