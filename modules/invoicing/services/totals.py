"""The one calculation engine: every total shown, printed, exported or reported comes from here.

EN 16931 rules (CEN/TC 434 validation artefacts v1.3.16):
- BT-131 line net = quantity * net price - line allowance, rounded to the currency's decimals;
- BR-CO-10 BT-106 = Σ BT-131 (of the rounded line amounts);
- BR-CO-11/12/13 BT-109 = BT-106 - Σ allowances (BT-107) + Σ charges (BT-108);
- BR-CO-17 BT-117 = BT-116 * BT-119 / 100 per VAT category and rate, rounded (document-level VAT);
- BR-CO-14/15 BT-110 = Σ BT-117, BT-112 = BT-109 + BT-110;
- BR-CO-16 BT-115 = BT-112 - BT-113 (prepaid) + BT-114 (rounding amount).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from core.errors import FieldError, InvalidInput
from core.money import MAX_AMOUNT, amount_text, minor_unit
from modules.invoicing.vocabulary import VAT_CATEGORIES

__all__ = [
    "VAT_CATEGORIES",
    "AdjustmentInput",
    "LineInput",
    "Totals",
    "VatBreakdown",
    "compute_totals",
    "document_amount_text",
    "document_places",
    "validate_lines",
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


def document_places(currency: str) -> int:
    """Decimals of amounts on a document: the currency's minor unit, at most 2 (EN 16931 BR-DEC)."""
    return min(minor_unit(currency), 2)


def document_amount_text(value: Decimal, currency: str) -> str:
    """An amount as written on a document and its exports: exactly the document's decimals (BR-DEC),
    half-up, never in E notation, never ``-0.00``."""
    return amount_text(value, document_places(currency))


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
        ctx.prec = _PRECISION
        ctx.rounding = ROUND_HALF_UP
        line_nets = tuple(_round(_line_amount(line), places) for line in lines)
        allowances = [(a, _round(a.amount, places)) for a in adjustments if not a.is_charge]
        charges = [(c, _round(c.amount, places)) for c in adjustments if c.is_charge]

        zero = _round(Decimal(0), places)
        sum_lines = sum(line_nets, zero)
        allowance_total = sum((amount for _, amount in allowances), zero)
        charge_total = sum((amount for _, amount in charges), zero)
        net = sum_lines - allowance_total + charge_total

        taxable: dict[tuple[str, Decimal], Decimal] = {}
        for line, line_net in zip(lines, line_nets, strict=True):
            key = _group(line.vat_category, line.vat_rate)
            taxable[key] = taxable.get(key, zero) + line_net
        for allowance, amount in allowances:
            key = _group(allowance.vat_category, allowance.vat_rate)
            taxable[key] = taxable.get(key, zero) - amount
        for charge, amount in charges:
            key = _group(charge.vat_category, charge.vat_rate)
            taxable[key] = taxable.get(key, zero) + amount

        breakdown = tuple(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable=_round(taxable[category, rate], places),
                tax=_round(taxable[category, rate] * rate / 100, places),
                exemption_reason=_group_exemption_reason(category, rate, lines),
            )
            for category, rate in sorted(taxable, key=_breakdown_order)
        )
        vat = sum((group.tax for group in breakdown), zero)
        gross = net + vat
        paid = _round(prepaid, places)
        rounding = zero
        due = gross - paid + rounding
    return Totals(
        line_nets=line_nets,
        sum_lines=_round(sum_lines, places),
        allowances=_round(allowance_total, places),
        charges=_round(charge_total, places),
        net=_round(net, places),
        vat=_round(vat, places),
        gross=_round(gross, places),
        prepaid=paid,
        rounding=rounding,
        due=_round(due, places),
        breakdown=breakdown,
    )


def validate_lines(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput],
    *,
    seller_vat_id: str | None,
    buyer_vat_id: str | None,
    currency: str | None = None,
) -> list[FieldError]:
    """Field errors of lines and document allowances/charges against the EN 16931 VAT-category rules.

    Rules (EN 16931 in spirit): S has a rate of at least 0.5 (above 0 by BR-S-05; the official
    schematrons' BR-CO-17 rounds the rate, treating anything below 0.5 as 0), every other category 0
    (BR-Z/E/AE/IC/G/O-05);
    E needs an exemption reason (BR-E-10) and S and Z must not carry one (BR-S-10, BR-Z-10); AE and K need
    the seller's and the buyer's VAT ids (BR-AE-02, BR-IC-02); O is not mixed with other categories
    (BR-O-11..14); one VAT breakdown carries one exemption reason. Net prices are not negative (BR-27);
    quantities may be negative (returns). A line discount is not negative and does not exceed the line's
    amount. Rates are 0..100 with at most 2 decimals; quantities and prices have at most 4 decimals;
    discounts and adjustment amounts at most the document's decimals (2 when ``currency`` is not given).
    An empty result means the lines and adjustments can be computed and exported.
    """
    amount_places = document_places(currency) if currency is not None else 2
    errors: list[FieldError] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for i, line in enumerate(lines):
        at = f"lines[{i}]"
        _check_category_and_rate(at, line.vat_category, line.vat_rate, error)
        quantity_ok = _check_number(f"{at}.quantity", line.quantity, _QUANTITY_PLACES, error)
        price_ok = _check_number(f"{at}.unit_price", line.unit_price, _PRICE_PLACES, error)
        if price_ok and line.unit_price < 0:
            error(
                f"{at}.unit_price", "must not be negative (EN 16931 BR-27); use a negative quantity instead"
            )
        discount_ok = _check_number(f"{at}.discount", line.discount, amount_places, error)
        if discount_ok and line.discount < 0:
            error(f"{at}.discount", "must not be negative")
        if quantity_ok and price_ok:
            amount = _EXACT.abs(_EXACT.multiply(line.quantity, line.unit_price))
            if amount >= MAX_AMOUNT:
                error(f"{at}.quantity", f"quantity times unit price must be smaller than {MAX_AMOUNT:,}")
            elif discount_ok and line.discount > amount:
                error(f"{at}.discount", f"must not exceed quantity times unit price ({amount.normalize():f})")
        reason = _clean(line.exemption_reason)
        if line.vat_category in _NO_EXEMPTION_REASON and reason is not None:
            error(f"{at}.exemption_reason", f"a {_describe(line.vat_category)} line has no exemption reason")
        elif line.vat_category == "E" and reason is None:
            error(
                f"{at}.exemption_reason",
                "an exempt line states why (EN 16931 BR-E-10), e.g. the law's article",
            )

    for i, adjustment in enumerate(adjustments):
        at = f"adjustments[{i}]"
        _check_category_and_rate(at, adjustment.vat_category, adjustment.vat_rate, error)
        if _check_number(f"{at}.amount", adjustment.amount, amount_places, error) and (
            abs(adjustment.amount) >= MAX_AMOUNT
        ):
            error(f"{at}.amount", f"must be smaller than {MAX_AMOUNT:,}")

    _check_exemption_reasons(lines, adjustments, error)
    _check_outside_scope(lines, adjustments, error)

    categories = {line.vat_category for line in lines} | {a.vat_category for a in adjustments}
    needs_both_ids = sorted(categories & _NEEDS_BOTH_VAT_IDS, key=_CATEGORY_ORDER.__getitem__)
    if needs_both_ids:
        what = " and ".join(_describe(category) for category in needs_both_ids)
        if not _clean(seller_vat_id):
            error(
                "seller_vat_id", f"a {what} invoice states the seller's VAT id (EN 16931 BR-AE-02, BR-IC-02)"
            )
        if not _clean(buyer_vat_id):
            error("buyer_vat_id", f"a {what} invoice states the buyer's VAT id (EN 16931 BR-AE-02, BR-IC-02)")
    return errors


_PRECISION = 60
"""Digits of intermediate results: ``quantity * unit_price`` of the largest allowed values stays exact."""
_QUANTITY_PLACES = 4
_PRICE_PLACES = 4
_RATE_PLACES = 2
MIN_STANDARD_RATE = Decimal("0.5")
"""The lowest standard VAT rate: no country's is lower, and the EN 16931 rules reject VAT at a lower one."""
_CATEGORY_ORDER: dict[str, int] = {category: i for i, category in enumerate(VAT_CATEGORIES)}
_NO_EXEMPTION_REASON = frozenset({"S", "Z"})
_NEEDS_BOTH_VAT_IDS = frozenset({"AE", "K"})
_DEFAULT_EXEMPTION_REASONS: dict[str, str] = {
    # The texts of the CEF VATEX code list (VATEX-EU-AE, -IC, -G, -O).
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}
"""Used when a line of these categories gives no reason; an exempt (E) line must give its own."""


_EXACT = Context(prec=_PRECISION, rounding=ROUND_HALF_UP)
"""The context of the calculations: no intermediate result is rounded, and rounding is half up."""
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}


def _round(amount: Decimal, places: int) -> Decimal:
    """Half away from zero to ``places`` decimals, never a negative zero."""
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return _EXACT.plus(amount.quantize(quantum, context=_EXACT))  # unary plus drops the sign of a zero


def _line_amount(line: LineInput) -> Decimal:
    """``quantity * unit_price`` less the discount, the discount taking the amount towards zero.

    The discount is a size: on a returned line (negative quantity) it reduces the amount credited, so a
    return of a discounted sale gives back what was paid. The signed line allowance (BT-136) is therefore
    ``discount`` on a positive line and ``-discount`` on a negative one.
    """
    amount = line.quantity * line.unit_price
    return amount + line.discount if amount < 0 else amount - line.discount


def _group(category: str, rate: Decimal) -> tuple[str, Decimal]:
    """The VAT breakdown a line or adjustment belongs to; ``20`` and ``20.00`` are the same group."""
    return category, rate.normalize() + 0


def _breakdown_order(key: tuple[str, Decimal]) -> tuple[int, Decimal]:
    category, rate = key
    return _CATEGORY_ORDER[category], -rate


def _group_exemption_reason(
    category: str, rate: Decimal, lines: tuple[LineInput, ...] | list[LineInput]
) -> str | None:
    if category in _NO_EXEMPTION_REASON:
        return None
    for line in lines:
        reason = _clean(line.exemption_reason)
        if reason is not None and _group(line.vat_category, line.vat_rate) == (category, rate):
            return reason
    return _DEFAULT_EXEMPTION_REASONS.get(category)


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


def _check_number(field: str, value: Decimal, places: int, error: Callable[[str, str], None]) -> bool:
    """Report a value that is not finite or has too many decimals; True when it is usable."""
    if not value.is_finite():
        error(field, "must be a finite number")
        return False
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places and _decimals(value) > places:
        error(field, f"has more than {places} decimal places")
        return False
    return True


def _decimals(value: Decimal) -> int:
    """Significant decimals of a finite value: ``1.50`` has 1; exact at any size, unlike ``normalize``."""
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant or not isinstance(exponent, int):
        return 0
    return max(0, -exponent - (len(digits) - len(significant)))


def _check_category_and_rate(
    at: str, category: str, rate: Decimal, error: Callable[[str, str], None]
) -> None:
    if category not in VAT_CATEGORIES:
        error(
            f"{at}.vat_category",
            f"{category!r} is not a VAT category; use one of {', '.join(VAT_CATEGORIES)}",
        )
        return
    if not _check_number(f"{at}.vat_rate", rate, _RATE_PLACES, error):
        return
    if not 0 <= rate <= 100:
        error(f"{at}.vat_rate", "must be between 0 and 100")
    elif category == "S" and rate == 0:
        error(f"{at}.vat_rate", "a standard-rated line has a rate above 0 (EN 16931 BR-S-05); use Z, E or O")
    elif category == "S" and rate < MIN_STANDARD_RATE:
        error(
            f"{at}.vat_rate",
            f"a standard rate is at least {MIN_STANDARD_RATE} %: the official EN 16931 check of the VAT "
            "amount (BR-CO-17) counts a lower rate as 0 and refuses any amount of VAT from it",
        )
    elif category != "S" and rate != 0:
        error(f"{at}.vat_rate", f"a {_describe(category)} line has a rate of 0")


def _check_exemption_reasons(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput],
    error: Callable[[str, str], None],
) -> None:
    """One VAT breakdown (BG-23) carries one reason (BT-120), so the lines of a category agree on it."""
    first: dict[tuple[str, Decimal], tuple[int, str]] = {}
    for i, line in enumerate(lines):
        if line.vat_category not in VAT_CATEGORIES or line.vat_category in _NO_EXEMPTION_REASON:
            continue
        if not line.vat_rate.is_finite():
            continue
        reason = _clean(line.exemption_reason) or _DEFAULT_EXEMPTION_REASONS.get(line.vat_category)
        if reason is None:
            continue
        key = _group(line.vat_category, line.vat_rate)
        if key not in first:
            first[key] = (i, reason)
        elif first[key][1] != reason:
            error(
                f"lines[{i}].exemption_reason",
                f"differs from lines[{first[key][0]}] ({first[key][1]!r}); "
                "an invoice gives one exemption reason per VAT category",
            )
    for i, adjustment in enumerate(adjustments):
        if adjustment.vat_category != "E" or not adjustment.vat_rate.is_finite():
            continue
        if _group(adjustment.vat_category, adjustment.vat_rate) not in first:
            error(
                f"adjustments[{i}].vat_category",
                "an exempt allowance or charge needs an exempt line stating the exemption reason (BR-E-10)",
            )


def _check_outside_scope(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput],
    error: Callable[[str, str], None],
) -> None:
    """Services outside the scope of VAT (O) are invoiced on their own (EN 16931 BR-O-11..14)."""
    items = [(f"lines[{i}]", line.vat_category) for i, line in enumerate(lines)]
    items += [(f"adjustments[{i}]", a.vat_category) for i, a in enumerate(adjustments)]
    categories = {category for _, category in items}
    if "O" not in categories or categories == {"O"}:
        return
    for at, category in items:
        if category == "O":
            error(
                f"{at}.vat_category",
                "outside the scope of VAT (O) cannot share an invoice with other VAT categories; "
                "invoice it separately",
            )


def _clean(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return text.strip()


def _describe(category: str) -> str:
    return f"{VAT_CATEGORIES[category].lower()} ({category})"
