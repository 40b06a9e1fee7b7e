"""CSV that a spreadsheet opens as data: every CSV the app writes (or reads) goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection, e.g. `=HYPERLINK(...)` in a document's
title). Such a cell is prefixed with a single quote, which spreadsheets show as text. Numbers are
written as they are, so a negative amount stays a number.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as it should be written: text that would start a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never '0E-8'
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV as lines, for a StreamingHttpResponse: the header, then each row, escaped."""
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow(safe_row(row))


def write(stream: Any, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write the header and rows, escaped, to a file-like object (a command's stdout)."""
    for line in lines(header, rows):
        stream.write(line)


Error = csv.Error  # what reading a malformed file raises


def dict_reader(text: str) -> csv.DictReader[str]:
    """Rows of `text` as dicts keyed by its header row (an uploaded file, already decoded)."""
    return csv.DictReader(io.StringIO(text, newline=""))
