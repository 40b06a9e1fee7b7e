"""The usage chart's y-axis labels fit left of the chart, however large the numbers."""

from datetime import date, timedelta

import pytest

from usage import chart
from usage.reports import Day, Kind

# At the chart's 11px font a character is at most about 7px wide; the labels end at x = PAD_LEFT - 4.
MAX_CHARS = (chart.PAD_LEFT - 4) // 7


@pytest.mark.parametrize(
    ("value", "label"),
    [(0, "0"), (500, "500"), (2_500, "2.5k"), (40_000, "40k"), (1_000_000, "1M"), (2_500_000, "2.5M"),
     (500_000_000, "500M"), (1_200_000_000, "1.2B")],
)  # fmt: skip
def test_it_shortens_axis_labels(value: int, label: str) -> None:
    assert chart.axis_label(value) == label


@pytest.mark.parametrize("tokens", [7, 12_345, 1_234_567, 987_654_321, 12_345_678_901])
def test_it_keeps_every_gridline_label_inside_the_left_margin(tokens: int) -> None:
    days = [Day(day=date(2026, 11, 1) + timedelta(days=i), by_kind={Kind.CHAT: tokens}) for i in range(3)]
    built = chart.build(days)
    labels = [label for _, label in built.gridlines]
    assert labels[0] == "0" and all(len(label) <= MAX_CHARS for label in labels), labels
    assert all(f": {tokens:,} tokens (" in rect.title for rect in built.rects)  # exact in the tooltips
