"""The reports as the API answers them, as JSON or as CSV rows. Amounts travel as decimal strings at
their currency's ISO 4217 minor unit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from core.money import amount_text, minor_unit, plain_number
from modules.invoicing.services.reports import (
    AgedCustomer,
    AgedReceivables,
    RevenueRow,
    VatRow,
)
from modules.invoicing.vocabulary import BUCKETS

__all__ = [
    "AGED_CSV_HEADER",
    "REVENUE_CSV_HEADER",
    "VAT_CSV_HEADER",
    "aged_csv_rows",
    "aged_out",
    "revenue_out",
    "revenue_row_out",
    "vat_out",
    "vat_row_out",
]

AGED_CSV_HEADER = ("currency", "customer_id", "customer", "invoices", *BUCKETS, "total")
VAT_CSV_HEADER = ("period", "currency", "category", "rate", "taxable", "tax", "documents")
REVENUE_CSV_HEADER = (
    "customer_id",
    "customer",
    "currency",
    "invoices",
    "credit_notes",
    "invoiced",
    "credited",
    "net",
)


def _aged_amounts(c: AgedCustomer) -> dict[str, Any]:
    places = minor_unit(c.currency)
    return {
        "invoices": c.invoices,
        **{b: amount_text(c.buckets[b], places) for b in BUCKETS},
        "total": amount_text(c.total, places),
    }


def aged_out(report: AgedReceivables) -> dict[str, Any]:
    """Aged receivables per currency: each customer's buckets, then the currency's totals."""
    return {
        "on": report.on.isoformat(),
        "buckets": list(BUCKETS),
        "currencies": [
            {
                "currency": currency,
                "customers": [
                    {"customer_id": str(c.customer_id), "name": c.name, **_aged_amounts(c)}
                    for c in report.customers
                    if c.currency == currency
                ],
                "totals": _aged_amounts(total),
            }
            for currency, total in sorted(report.totals.items())
        ],
    }


def aged_csv_rows(report: AgedReceivables) -> list[list[object]]:
    """One row per customer and currency, then a TOTAL row per currency (``AGED_CSV_HEADER``)."""

    def line(c: AgedCustomer, customer_id: str, name: str) -> list[object]:
        return [c.currency, customer_id, name, *_aged_amounts(c).values()]

    rows = [line(c, str(c.customer_id), c.name) for c in report.customers]
    rows += [line(total, "", "TOTAL") for _, total in sorted(report.totals.items())]
    return rows


def vat_row_out(row: VatRow) -> dict[str, Any]:
    """A VAT summary row; its values in order are a CSV row (``VAT_CSV_HEADER``)."""
    places = minor_unit(row.currency)
    return {
        "period": row.period,
        "currency": row.currency,
        "category": row.category,
        "rate": plain_number(row.rate),
        "taxable": amount_text(row.taxable, places),
        "tax": amount_text(row.tax, places),
        "documents": row.documents,
    }


def vat_out(start: date, end: date, rows: Sequence[VatRow], totals: Sequence[VatRow]) -> dict[str, Any]:
    """The VAT summary of a period, with its totals per currency, category and rate."""
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": [vat_row_out(row) for row in rows],
        "totals": [{k: v for k, v in vat_row_out(row).items() if k != "period"} for row in totals],
    }


def revenue_row_out(row: RevenueRow) -> dict[str, Any]:
    """A customer's revenue; its values in order are a CSV row (``REVENUE_CSV_HEADER``)."""
    places = minor_unit(row.currency)
    return {
        "customer_id": str(row.customer_id),
        "name": row.name,
        "currency": row.currency,
        "invoices": row.invoices,
        "credit_notes": row.credit_notes,
        "invoiced": amount_text(row.invoiced, places),
        "credited": amount_text(row.credited, places),
        "net": amount_text(row.net, places),
    }


def revenue_out(start: date, end: date, rows: Sequence[RevenueRow]) -> dict[str, Any]:
    """Revenue per customer in a period, with the net total per currency."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.currency] = totals.get(row.currency, Decimal(0)) + row.net
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "customers": [revenue_row_out(row) for row in rows],
        "totals": {
            currency: amount_text(net, minor_unit(currency)) for currency, net in sorted(totals.items())
        },
    }
