"""OCR of one PDF page: pypdfium2 renders it, RapidOCR reads it.

RapidOCR (`rapidocr-onnxruntime`) runs PP-OCR's detection and recognition models, which ship inside
its wheel, on onnxruntime's CPU provider: nothing is ever downloaded. It is imported only here, and
this module only in the extraction child process (documents/extract_child.py), so neither the web
server nor the worker carries the engine's ~0.5 GB.

Resolution and threads were tuned with bench/ocr.py (see docs/ocr.md): recognition works on text
lines scaled to 48 pixels high whatever the resolution, so its cost follows the amount of text;
96 dpi was as fast as 72 and more accurate, 150 dpi the most accurate but 1.3 to 1.7 times the CPU.
Recognition is 83% of the CPU; the models are simplified at start-up (documents/ocr_models.py).
"""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium

MAX_SIDE = 2000  # pixels: a huge page is rendered smaller rather than asking for gigabytes
# PP-OCR's recognizer (trained mostly on Chinese, which has no spaces) often decodes the gap
# between two words as "blank" rather than "space"; but there, and only there, it still gives the
# space a probability of 5 to 20% (under 1% inside words). A blank column whose space probability
# passes this threshold is read as a space.
SPACE_PROBABILITY = 0.03
WORD = re.compile(r"\w")
SAME_LINE = 0.5  # boxes whose tops differ by less than this share of their height are one line
# Text lines recognized together (RapidOCR's default is 6). Lines of a batch are padded to its
# widest, and larger batches outgrow the CPU's caches: 3 took 2.0 CPU s a page, 6 took 2.3, 12 took
# 3.9 (bench/ocr.py, docs/ocr.md).
REC_BATCH = 3


@dataclass(frozen=True)
class Line:
    top: float
    left: float
    height: float
    text: str


class Reader:
    """One OCR engine, loaded once per extraction process and reused for every page."""

    def __init__(self, dpi: int, threads: int) -> None:
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH, read_yaml, update_model_path

        from documents import ocr_models

        self.dpi = dpi
        self.engine = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            # The direction classifier only matters for upside-down lines; it costs a few percent.
            use_cls=False,
            print_verbose=False,
        )
        recognizer = self.engine.text_rec
        recognizer.postprocess_op = Spaces(recognizer.postprocess_op)
        # The same models, simplified (documents/ocr_models.py): half the CPU for the same text.
        models = update_model_path(read_yaml(DEFAULT_CFG_PATH))
        self.engine.text_det.infer.session = ocr_models.session(models["Det"]["model_path"], threads)
        # The detector reads a page with `threads` threads; the recognizer's batches are shared
        # among `threads` threads, each reading its batch alone: less CPU lost to coordination
        # (2.0 against 2.2 to 2.4 CPU s a page with 2 threads, docs/ocr.md).
        recognizer.session.session = ocr_models.session(models["Rec"]["model_path"], 1)
        self.engine.text_rec = Batches(recognizer, threads)

    def read(self, page: pdfium.PdfPage) -> str:
        width, height = page.get_size()
        scale = min(self.dpi / 72, MAX_SIDE / max(width, height, 1))
        bitmap = page.render(scale=scale)
        try:
            image = bitmap.to_numpy()
            result, _ = self.engine(image)
        finally:
            bitmap.close()
        return join_lines(_lines(result or []))


class Batches:
    """RapidOCR's recognizer, its batches of lines read side by side by `threads` threads."""

    def __init__(self, recognizer: Any, threads: int) -> None:
        self.recognizer = recognizer
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="ocr")

    def __call__(self, images: list[Any], return_word_box: bool = False) -> tuple[list[Any], float]:
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / images[i].shape[0])
        batches = [order[start : start + REC_BATCH] for start in range(0, len(order), REC_BATCH)]
        results: list[Any] = [("", 0.0)] * len(images)
        read = self.pool.map(lambda batch: self.recognizer([images[i] for i in batch])[0], batches)
        for batch, texts in zip(batches, read, strict=True):
            for index, text in zip(batch, texts, strict=True):
                results[index] = text
        return results, 0.0


class Spaces:
    """RapidOCR's CTC decoder, reading likely word gaps as spaces (see SPACE_PROBABILITY)."""

    def __init__(self, decode: Any) -> None:
        self.decode = decode
        self.character = decode.character
        self.space = decode.character.index(" ")

    def __call__(self, preds: Any, return_word_box: bool = False, **kwargs: Any) -> Any:
        space = preds[:, :, self.space]  # a view: writing to it writes to preds
        gaps = (preds.argmax(axis=2) == 0) & (space > SPACE_PROBABILITY)
        space[gaps] = 1.0
        return self.decode(preds, return_word_box, **kwargs)


def _lines(result: list[Any]) -> list[Line]:
    lines = []
    for box, text, _score in result:
        xs, ys = [point[0] for point in box], [point[1] for point in box]
        lines.append(Line(top=min(ys), left=min(xs), height=max(ys) - min(ys), text=str(text).strip()))
    return [line for line in lines if line.text]


def join_lines(boxes: list[Line]) -> str:
    """Boxes in RapidOCR's reading order (top to bottom, then left to right): side by side on one
    line joined by a space, lines by a line break. A line with fewer than two letters or digits
    is dropped: on a blank page or a photo, specks and shapes read as a stray "." or "业"."""
    lines: list[list[str]] = []
    previous = None
    for box in boxes:
        if previous and abs(box.top - previous.top) < SAME_LINE * max(previous.height, 1):
            lines[-1].append(box.text)
        else:
            lines.append([box.text])
        previous = box
    joined = (" ".join(parts) for parts in lines)
    return "\n".join(line for line in joined if len(WORD.findall(line)) >= 2)
