"""CSV the product writes, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets: a party named ``=HYPERLINK(...)`` would run in the accountant's
spreadsheet. Every text cell goes through ``defuse``, which prefixes such a cell with ``'`` (shown as
text, as OWASP's CSV-injection guidance recommends). Numbers stay numbers: ``-12.50`` is an amount,
not a formula, and is written as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

__all__ = ["CsvWriter", "csv_text", "defuse"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def defuse(cell: object) -> object:
    """``cell``, or ``'`` + ``cell`` when a spreadsheet would read the text as a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class CsvWriter:
    """``csv.writer`` (CRLF line ends, as RFC 4180 says) whose every text cell is defused."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._writer = csv.writer(buffer, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([defuse(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV document: the header, then the rows, every text cell defused."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
