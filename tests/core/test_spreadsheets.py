"""Every CSV the product writes is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from core.spreadsheets import csv_text, defuse


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-Delivery", "'-Delivery"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("Green Grocers", "Green Grocers"),
        ("-12.50", "-12.50"),  # an amount, not a formula
        ("+5", "+5"),
        ("", ""),
        (12, 12),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: object, written: object) -> None:
    assert defuse(cell) == written


def test_a_whole_document_is_defused_header_and_rows() -> None:
    text = csv_text(["name", "amount"], [["=cmd|' /C calc'!A0", "-3.00"], ["Oat Mill", "7.00"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "amount"],
        ["'=cmd|' /C calc'!A0", "-3.00"],
        ["Oat Mill", "7.00"],
    ]
    assert text.endswith("\r\n")
