"""The daily usage chart as SVG geometry, computed on the server (no chart library, no inline style)."""

from dataclasses import dataclass

from usage.reports import Day, Kind

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM = 720, 220, 48, 24
KIND_ORDER = [Kind.DOCUMENT_EMBEDDING, Kind.QUERY_EMBEDDING, Kind.CHAT]


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    rects: list[Rect]
    gridlines: list[tuple[float, str]]  # (y, label)
    labels: list[tuple[float, str]]  # (x, label) under some bars
    legend: list[tuple[str, str]]  # (kind value, label)
    empty: bool


def axis_label(value: int) -> str:
    """A short tick label that fits left of the chart: 0, 500, 2.5k, 40k, 1M, 2.5M, 1.2B."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


def _nice_max(value: int) -> int:
    """Round the axis up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value)


def build(days: list[Day]) -> Chart:
    top = _nice_max(max((d.total for d in days), default=0))
    plot_h, plot_w = HEIGHT - PAD_BOTTOM - 8, WIDTH - PAD_LEFT
    slot = plot_w / max(len(days), 1)
    rects: list[Rect] = []
    for i, day in enumerate(days):
        y = HEIGHT - PAD_BOTTOM
        for kind in KIND_ORDER:
            tokens = day.by_kind.get(kind, 0)
            if not tokens:
                continue
            h = tokens / top * plot_h
            y -= h
            title = f"{day.day:%b %d}: {tokens:,} tokens ({Kind(kind).label.lower()})"
            rects.append(Rect(PAD_LEFT + i * slot + slot * 0.15, y, slot * 0.7, h, kind, title))
    gridlines = [(HEIGHT - PAD_BOTTOM - f * plot_h, axis_label(int(top * f))) for f in (0, 0.5, 1)]
    labels = [(PAD_LEFT + i * slot + slot / 2, f"{d.day:%b %d}") for i, d in enumerate(days) if i % 7 == 0]
    legend = [(k.value, k.label) for k in reversed(KIND_ORDER)]
    return Chart(WIDTH, HEIGHT, rects, gridlines, labels, legend, empty=not rects)
