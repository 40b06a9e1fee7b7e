from decimal import Decimal

import pytest

from docuchat.lib import csvsafe


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_it_escapes_cells_that_a_spreadsheet_would_run_as_formulas(value: str) -> None:
    assert csvsafe.safe_cell(value) == "'" + value


def test_it_keeps_plain_text_numbers_and_writes_zero_decimals_plainly() -> None:
    assert csvsafe.safe_row(["Manual", 3, -4, None, Decimal("0E-8")]) == ["Manual", 3, -4, "", "0.00000000"]


def test_it_streams_a_header_and_escaped_rows() -> None:
    assert list(csvsafe.lines(["a", "b"], [["=1+1", "ok"]])) == ["a,b\r\n", "'=1+1,ok\r\n"]
