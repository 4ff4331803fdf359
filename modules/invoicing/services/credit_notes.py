"""Crediting part of an invoice: which lines, and how much of each, a credit note takes back.

One rule for every way in: an amount (excluding VAT) on chosen lines, at most each line's net amount
(the whole line is credited as it was invoiced), and one amount at one of the invoice's VAT rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.money import amount_text, parse_amount
from modules.invoicing.models import Document
from modules.invoicing.services.lines import (
    LineData,
    StoredAdjustment,
    StoredLine,
    adjustment_inputs,
    line_data,
    line_inputs,
    lines_of,
)
from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.snapshots import snapshot_from_json
from modules.invoicing.services.totals import Totals, compute_totals

__all__ = [
    "PartialCredit",
    "credit_notes_of",
    "credited_invoice",
    "document_totals",
    "partial_credit_lines",
    "rate_key",
]


@dataclass(frozen=True, slots=True)
class PartialCredit:
    """What to take back of an invoice, as typed (empty text is nothing)."""

    line_amounts: Mapping[int, str] = field(default_factory=dict)
    """An amount excluding VAT per line position."""
    amount: str = ""
    """One amount excluding VAT, at the VAT rate ``rate`` names."""
    rate: str = ""
    """One of the invoice's VAT categories and rates, as :func:`rate_key` names it."""
    description: str = ""
    """What the line of ``amount`` says."""


def document_totals(
    document: Document, lines: Sequence[StoredLine], adjustments: Sequence[StoredAdjustment]
) -> Totals:
    """The totals as issued (from the stored snapshot), or as they stand on a draft."""
    if document.snapshot is not None:
        return snapshot_from_json(document.snapshot).totals
    return compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )


def rate_key(category: str, rate: Decimal) -> str:
    """A VAT category and rate as one choice (``S:20``)."""
    return f"{category}:{format(rate.normalize(), 'f')}"


def _credit_amount(
    raw: str, name: str, currency: str, errors: dict[str, str], *, most: Decimal | None = None
) -> Decimal | None:
    """A positive amount (excluding VAT), at most ``most``; empty text is no amount."""
    if not raw:
        return None
    try:
        value = parse_amount(raw.replace(",", "."), field=name, places=document_places(currency))
    except InvalidInput as exc:
        errors.update({error["field"]: error["message"] for error in exc.errors})
        return None
    if value <= 0:
        errors[name] = "must be more than zero"
        return None
    if most is not None and value > most:
        errors[name] = (
            f"must be at most {amount_text(most, document_places(currency))}, the line's net amount"
        )
        return None
    return value


async def partial_credit_lines(
    db: AsyncSession, document: Document, asked: PartialCredit
) -> tuple[list[LineData], dict[str, str]]:
    """The credit note's lines ``asked`` describes, and what is wrong with it by field: ``line-<position>``
    for a line's amount, ``amount`` and ``amount_vat`` for the amount at one VAT rate."""
    currency = document.currency
    errors: dict[str, str] = {}
    lines, adjustments = await lines_of(db, document.id)
    chosen: list[LineData] = []
    for line in lines:
        name = f"line-{line.position}"
        raw = asked.line_amounts.get(line.position, "")
        amount = _credit_amount(raw, name, currency, errors, most=line.net_amount)
        if amount is None:
            continue
        if amount == line.net_amount:  # the whole line, as it was invoiced
            chosen.append(line_data(line))
        else:
            chosen.append(
                _credited_amount(
                    line.description, amount, line.vat_category, line.vat_rate, line.exemption_reason
                )
            )
    amount = _credit_amount(asked.amount, "amount", currency, errors)
    if amount is not None:
        breakdown = {
            rate_key(b.category, b.rate): b for b in document_totals(document, lines, adjustments).breakdown
        }
        vat = breakdown.get(asked.rate)
        if vat is None:
            errors["amount_vat"] = "choose one of the invoice's VAT rates"
        else:
            chosen.append(
                _credited_amount(asked.description, amount, vat.category, vat.rate, vat.exemption_reason)
            )
    return chosen, errors


def _credited_amount(
    description: str, amount: Decimal, vat_category: str, vat_rate: Decimal, exemption_reason: str | None
) -> LineData:
    """An amount credited at one VAT category and rate, as one line of quantity 1: a credit note takes
    back money, not the goods counted again."""
    return LineData(
        description=description,
        quantity=Decimal(1),
        unit_price=amount,
        vat_rate=vat_rate,
        vat_category=vat_category,
        exemption_reason=exemption_reason,
    )


async def credit_notes_of(db: AsyncSession, invoice: Document) -> list[Document]:
    """The issued credit notes of an invoice, oldest first."""
    found = await db.scalars(
        select(Document)
        .where(Document.credited_id == invoice.id, Document.state != "draft")
        .order_by(Document.created_at)
    )
    return list(found)


async def credited_invoice(db: AsyncSession, credit_note: Document) -> Document | None:
    """The invoice a credit note credits, if any."""
    if credit_note.credited_id is None:
        return None
    return await db.scalar(select(Document).where(Document.id == credit_note.credited_id))
