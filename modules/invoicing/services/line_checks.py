"""The checks of a document's lines and allowances/charges before they are computed or exported:
the EN 16931 VAT-category rules, the ranges and the decimals of every number."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core.errors import FieldError
from core.money import MAX_AMOUNT
from modules.invoicing.services.rounding import EXACT, document_places
from modules.invoicing.services.totals import AdjustmentInput, LineInput
from modules.invoicing.services.vat_categories import (
    CATEGORY_ORDER,
    DEFAULT_EXEMPTION_REASONS,
    NEEDS_BOTH_VAT_IDS,
    NO_EXEMPTION_REASON,
    category_name,
    stated_reason,
    vat_group,
)
from modules.invoicing.vocabulary import VAT_CATEGORIES

__all__ = ["MIN_STANDARD_RATE", "validate_lines"]

_QUANTITY_PLACES = 4
_PRICE_PLACES = 4
_RATE_PLACES = 2
MIN_STANDARD_RATE = Decimal("0.5")
"""The lowest standard VAT rate: no country's is lower, and the EN 16931 rules reject VAT at a lower one."""


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
            amount = EXACT.abs(EXACT.multiply(line.quantity, line.unit_price))
            if amount >= MAX_AMOUNT:
                error(f"{at}.quantity", f"quantity times unit price must be smaller than {MAX_AMOUNT:,}")
            elif discount_ok and line.discount > amount:
                error(f"{at}.discount", f"must not exceed quantity times unit price ({amount.normalize():f})")
        reason = stated_reason(line.exemption_reason)
        if line.vat_category in NO_EXEMPTION_REASON and reason is not None:
            error(
                f"{at}.exemption_reason", f"a {category_name(line.vat_category)} line has no exemption reason"
            )
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
    needs_both_ids = sorted(categories & NEEDS_BOTH_VAT_IDS, key=CATEGORY_ORDER.__getitem__)
    if needs_both_ids:
        what = " and ".join(category_name(category) for category in needs_both_ids)
        if not stated_reason(seller_vat_id):
            error(
                "seller_vat_id", f"a {what} invoice states the seller's VAT id (EN 16931 BR-AE-02, BR-IC-02)"
            )
        if not stated_reason(buyer_vat_id):
            error("buyer_vat_id", f"a {what} invoice states the buyer's VAT id (EN 16931 BR-AE-02, BR-IC-02)")
    return errors


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
        error(f"{at}.vat_rate", f"a {category_name(category)} line has a rate of 0")


def _check_exemption_reasons(
    lines: tuple[LineInput, ...] | list[LineInput],
    adjustments: tuple[AdjustmentInput, ...] | list[AdjustmentInput],
    error: Callable[[str, str], None],
) -> None:
    """One VAT breakdown (BG-23) carries one reason (BT-120), so the lines of a category agree on it."""
    first: dict[tuple[str, Decimal], tuple[int, str]] = {}
    for i, line in enumerate(lines):
        if line.vat_category not in VAT_CATEGORIES or line.vat_category in NO_EXEMPTION_REASON:
            continue
        if not line.vat_rate.is_finite():
            continue
        reason = stated_reason(line.exemption_reason) or DEFAULT_EXEMPTION_REASONS.get(line.vat_category)
        if reason is None:
            continue
        key = vat_group(line.vat_category, line.vat_rate)
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
        if vat_group(adjustment.vat_category, adjustment.vat_rate) not in first:
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
