"""The one calculation engine: every total shown, printed, exported or reported comes from here.

EN 16931 rules (CEN/TC 434 validation artefacts v1.3.16):
- BT-131 line net = quantity * net price - line allowance, rounded to the currency's decimals;
- BR-CO-10 BT-106 = Σ BT-131 (of the rounded line amounts);
- BR-CO-11/12/13 BT-109 = BT-106 - Σ allowances (BT-107) + Σ charges (BT-108);
- BR-CO-17 BT-117 = BT-116 * BT-119 / 100 per VAT category and rate, rounded (document-level VAT);
- BR-CO-14/15 BT-110 = Σ BT-117, BT-112 = BT-109 + BT-110;
- BR-CO-16 BT-115 = BT-112 - BT-113 (prepaid) + BT-114 (rounding amount).

Rounding is ``rounding``'s; the checks of lines and adjustments before they are computed are
``line_checks``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from core.errors import InvalidInput
from modules.invoicing.services.rounding import PRECISION, document_places, round_amount
from modules.invoicing.services.vat_categories import (
    CATEGORY_ORDER,
    DEFAULT_EXEMPTION_REASONS,
    NO_EXEMPTION_REASON,
    stated_reason,
    vat_group,
)
from modules.invoicing.vocabulary import VAT_CATEGORIES

__all__ = [
    "AdjustmentInput",
    "LineInput",
    "Totals",
    "VatBreakdown",
    "compute_totals",
]


@dataclass(frozen=True, slots=True)
class LineInput:
    """What a line contributes to the totals."""

    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    discount: Decimal = Decimal(0)
    """Line allowance amount (BT-136), a size: it takes ``quantity * unit_price`` towards zero."""
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustmentInput:
    """A document-level allowance (discount) or charge (BG-20 / BG-21)."""

    is_charge: bool
    amount: Decimal
    vat_category: str
    vat_rate: Decimal
    reason: str = ""


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """BG-23: one VAT category and rate."""

    category: str
    rate: Decimal
    taxable: Decimal
    """BT-116."""
    tax: Decimal
    """BT-117."""
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    line_nets: tuple[Decimal, ...]
    """BT-131, one per line, rounded."""
    sum_lines: Decimal
    """BT-106."""
    allowances: Decimal
    """BT-107."""
    charges: Decimal
    """BT-108."""
    net: Decimal
    """BT-109."""
    vat: Decimal
    """BT-110."""
    gross: Decimal
    """BT-112."""
    prepaid: Decimal
    """BT-113."""
    rounding: Decimal
    """BT-114."""
    due: Decimal
    """BT-115."""
    breakdown: tuple[VatBreakdown, ...]


def compute_totals(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput] = (),
    *,
    currency: str,
    prepaid: Decimal = Decimal(0),
) -> Totals:
    """All totals of a document, by the EN 16931 rules above.

    Every amount has exactly ``document_places(currency)`` decimals and is rounded half away from zero,
    so a document with every quantity, adjustment and prepaid amount negated has every total negated.
    """
    places = document_places(currency)
    _check_categories(lines, adjustments)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.rounding = ROUND_HALF_UP
        line_nets = tuple(round_amount(_line_amount(line), places) for line in lines)
        allowances = [(a, round_amount(a.amount, places)) for a in adjustments if not a.is_charge]
        charges = [(c, round_amount(c.amount, places)) for c in adjustments if c.is_charge]

        zero = round_amount(Decimal(0), places)
        sum_lines = sum(line_nets, zero)
        allowance_total = sum((amount for _, amount in allowances), zero)
        charge_total = sum((amount for _, amount in charges), zero)
        net = sum_lines - allowance_total + charge_total

        taxable: dict[tuple[str, Decimal], Decimal] = {}
        for line, line_net in zip(lines, line_nets, strict=True):
            key = vat_group(line.vat_category, line.vat_rate)
            taxable[key] = taxable.get(key, zero) + line_net
        for allowance, amount in allowances:
            key = vat_group(allowance.vat_category, allowance.vat_rate)
            taxable[key] = taxable.get(key, zero) - amount
        for charge, amount in charges:
            key = vat_group(charge.vat_category, charge.vat_rate)
            taxable[key] = taxable.get(key, zero) + amount

        breakdown = tuple(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable=round_amount(taxable[category, rate], places),
                tax=round_amount(taxable[category, rate] * rate / 100, places),
                exemption_reason=_group_exemption_reason(category, rate, lines),
            )
            for category, rate in sorted(taxable, key=_breakdown_order)
        )
        vat = sum((group.tax for group in breakdown), zero)
        gross = net + vat
        paid = round_amount(prepaid, places)
        rounding = zero
        due = gross - paid + rounding
    return Totals(
        line_nets=line_nets,
        sum_lines=round_amount(sum_lines, places),
        allowances=round_amount(allowance_total, places),
        charges=round_amount(charge_total, places),
        net=round_amount(net, places),
        vat=round_amount(vat, places),
        gross=round_amount(gross, places),
        prepaid=paid,
        rounding=rounding,
        due=round_amount(due, places),
        breakdown=breakdown,
    )


def _line_amount(line: LineInput) -> Decimal:
    """``quantity * unit_price`` less the discount, the discount taking the amount towards zero.

    The discount is a size: on a returned line (negative quantity) it reduces the amount credited, so a
    return of a discounted sale gives back what was paid. The signed line allowance (BT-136) is therefore
    ``discount`` on a positive line and ``-discount`` on a negative one.
    """
    amount = line.quantity * line.unit_price
    return amount + line.discount if amount < 0 else amount - line.discount


def _breakdown_order(key: tuple[str, Decimal]) -> tuple[int, Decimal]:
    category, rate = key
    return CATEGORY_ORDER[category], -rate


def _group_exemption_reason(
    category: str, rate: Decimal, lines: tuple[LineInput, ...] | list[LineInput]
) -> str | None:
    if category in NO_EXEMPTION_REASON:
        return None
    for line in lines:
        reason = stated_reason(line.exemption_reason)
        if reason is not None and vat_group(line.vat_category, line.vat_rate) == (category, rate):
            return reason
    return DEFAULT_EXEMPTION_REASONS.get(category)


def _check_categories(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput],
) -> None:
    """Refuse what cannot be grouped; the other rules are ``validate_lines``'s, and callers run it first."""
    items: list[tuple[str, LineInput | AdjustmentInput]] = [
        (f"lines[{i}]", line) for i, line in enumerate(lines)
    ]
    items += [(f"adjustments[{i}]", a) for i, a in enumerate(adjustments)]
    for at, item in items:
        if item.vat_category not in VAT_CATEGORIES:
            raise InvalidInput.field(f"{at}.vat_category", f"{item.vat_category!r} is not a VAT category")
        if not item.vat_rate.is_finite():
            raise InvalidInput.field(f"{at}.vat_rate", "must be a finite number")
