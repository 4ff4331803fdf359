"""Dates people type into business documents: a range that keeps typing slips (year 0226 for 2026)
out, and date arithmetic (due dates, periods, report buckets) inside what Python can represent."""

from __future__ import annotations

from datetime import date

from core.errors import InvalidInput

__all__ = ["EARLIEST", "LATEST", "check_date"]

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def check_date(value: date, field: str) -> date:
    """``value`` if it lies between ``EARLIEST`` and ``LATEST``; else ``InvalidInput`` naming ``field``."""
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput.field(field, f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value
