"""The calculation engine: worked examples a bookkeeper can check by hand, the EN 16931 calculation rules
(BR-CO-10..17, BR-DEC) as properties of any valid document, and the VAT-category refusals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from modules.invoicing.services.line_checks import MIN_STANDARD_RATE, validate_lines
from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.totals import AdjustmentInput, LineInput, Totals, VatBreakdown, compute_totals
from modules.invoicing.vocabulary import VAT_CATEGORIES

D = Decimal
EXEMPT_REASON = "Exempt: education, Article 132(1)(i) VAT Directive"
SELLER = "FR40303265045"
BUYER = "DE123456789"


def line(
    quantity: str,
    unit_price: str,
    category: str = "S",
    rate: str = "20",
    discount: str = "0",
    reason: str | None = None,
) -> LineInput:
    return LineInput(D(quantity), D(unit_price), category, D(rate), D(discount), reason)


def allowance(amount: str, category: str = "S", rate: str = "20") -> AdjustmentInput:
    return AdjustmentInput(is_charge=False, amount=D(amount), vat_category=category, vat_rate=D(rate))


def charge(amount: str, category: str = "S", rate: str = "20") -> AdjustmentInput:
    return AdjustmentInput(is_charge=True, amount=D(amount), vat_category=category, vat_rate=D(rate))


def half_up(amount: Decimal, places: int) -> Decimal:
    return amount.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


def all_amounts(totals: Totals) -> list[Decimal]:
    return [
        *totals.line_nets,
        totals.sum_lines,
        totals.allowances,
        totals.charges,
        totals.net,
        totals.vat,
        totals.gross,
        totals.prepaid,
        totals.rounding,
        totals.due,
        *(group.taxable for group in totals.breakdown),
        *(group.tax for group in totals.breakdown),
    ]


# Worked examples


@pytest.mark.parametrize(
    ("currency", "places"),
    [("EUR", 2), ("CHF", 2), ("JPY", 0), ("ISK", 0), ("BHD", 2), ("KWD", 2), ("CLF", 2)],
)
def test_document_decimals_are_the_minor_unit_capped_at_two(currency: str, places: int) -> None:
    assert document_places(currency) == places


def test_an_unknown_currency_has_no_document_decimals() -> None:
    with pytest.raises(InvalidInput):
        document_places("EUX")


def test_three_items_at_20_percent_with_a_10_percent_document_discount() -> None:
    # 3 x 19.99 = 59.97; 10 % of it is 5.997, allowed as 6.00; 53.97 x 20 % = 10.794 -> 10.79.
    totals = compute_totals([line("3", "19.99")], [allowance("5.997")], currency="EUR")

    assert totals.line_nets == (D("59.97"),)
    assert (totals.sum_lines, totals.allowances, totals.charges) == (D("59.97"), D("6.00"), D("0.00"))
    assert (totals.net, totals.vat, totals.gross, totals.due) == (
        D("53.97"),
        D("10.79"),
        D("64.76"),
        D("64.76"),
    )
    assert totals.breakdown == (VatBreakdown("S", D("20"), D("53.97"), D("10.79")),)


def test_lines_at_20_and_5_5_percent_get_one_breakdown_each_highest_rate_first() -> None:
    # 3 x 4.35 = 13.05 at 5.5 % -> 0.71775 -> 0.72; 2 x 12.50 = 25.00 at 20 % -> 5.00.
    totals = compute_totals([line("3", "4.35", rate="5.5"), line("2", "12.50")], currency="EUR")

    assert totals.breakdown == (
        VatBreakdown("S", D("20"), D("25.00"), D("5.00")),
        VatBreakdown("S", D("5.5"), D("13.05"), D("0.72")),
    )
    assert (totals.net, totals.vat, totals.gross) == (D("38.05"), D("5.72"), D("43.77"))


def test_vat_is_rounded_once_per_rate_not_once_per_line() -> None:
    # Each 0.10 at 5.5 % is 0.0055 (0.01 if rounded per line, 0.03 in all); the document rounds 0.0165 once.
    totals = compute_totals([line("1", "0.10", rate="5.5")] * 3, currency="EUR")

    assert totals.vat == D("0.02")


def test_a_yen_invoice_has_no_decimals() -> None:
    # 3 x 333 = 999; 1.5 x 333 = 499.5 -> 500; 1499 x 10 % = 149.9 -> 150.
    totals = compute_totals([line("3", "333", rate="10"), line("1.5", "333", rate="10")], currency="JPY")

    assert totals.line_nets == (D("999"), D("500"))
    assert [str(amount) for amount in (totals.net, totals.vat, totals.gross)] == ["1499", "150", "1649"]


def test_a_bahraini_dinar_invoice_has_two_decimals_on_the_document() -> None:
    totals = compute_totals([line("1", "1.2345", rate="10")], currency="BHD")

    assert [str(amount) for amount in (totals.net, totals.vat, totals.gross)] == ["1.23", "0.12", "1.35"]


@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [
        ("0.333", "0.015", "0.00"),  # 0.004995
        ("3", "0.015", "0.05"),  # 0.045, which a float would make 0.04
        ("1", "0.005", "0.01"),
        ("-1", "0.005", "-0.01"),  # half away from zero on a return
        ("-3", "0.015", "-0.05"),
        ("0.3333", "0.0149", "0.00"),
    ],
)
def test_a_line_net_is_rounded_half_away_from_zero(quantity: str, unit_price: str, net: str) -> None:
    totals = compute_totals([line(quantity, unit_price)], currency="EUR")

    assert str(totals.line_nets[0]) == net


def test_vat_on_a_credit_rounds_away_from_zero_like_vat_on_a_sale() -> None:
    # -0.15 x 10 % = -0.015 -> -0.02, the mirror of 0.015 -> 0.02.
    credit = compute_totals([line("-3", "0.05", rate="10")], currency="EUR")
    sale = compute_totals([line("3", "0.05", rate="10")], currency="EUR")

    assert (credit.vat, sale.vat) == (D("-0.02"), D("0.02"))


def test_reverse_charge_is_invoiced_at_zero_with_the_reverse_charge_reason() -> None:
    totals = compute_totals([line("10", "100", category="AE", rate="0")], currency="EUR")

    assert totals.breakdown == (VatBreakdown("AE", D("0"), D("1000.00"), D("0.00"), "Reverse charge"),)
    assert (totals.net, totals.vat, totals.gross) == (D("1000.00"), D("0.00"), D("1000.00"))


def test_a_stated_exemption_reason_reaches_the_breakdown_and_categories_get_their_default() -> None:
    totals = compute_totals(
        [
            line("1", "50", category="E", rate="0", reason=EXEMPT_REASON),
            line("1", "30", category="K", rate="0"),
            line("1", "20", category="G", rate="0", reason="Export, Article 146 VAT Directive"),
            line("1", "10"),
        ],
        currency="EUR",
    )

    reasons = {group.category: group.exemption_reason for group in totals.breakdown}
    assert reasons == {
        "S": None,
        "E": EXEMPT_REASON,
        "K": "Intra-community supply",
        "G": "Export, Article 146 VAT Directive",
    }
    assert [group.category for group in totals.breakdown] == ["S", "E", "K", "G"]


def test_a_return_of_a_discounted_sale_credits_what_was_paid() -> None:
    sold = line("2", "19.99", discount="4.00")
    returned = line("-2", "19.99", discount="4.00")

    totals = compute_totals([sold, returned], currency="EUR")

    assert totals.line_nets == (D("35.98"), D("-35.98"))
    assert (totals.net, totals.vat, totals.gross) == (D("0.00"), D("0.00"), D("0.00"))


def test_a_shipping_charge_at_its_own_rate_gets_its_own_breakdown() -> None:
    totals = compute_totals([line("4", "2.50", category="Z", rate="0")], [charge("5.00")], currency="EUR")

    assert totals.breakdown == (
        VatBreakdown("S", D("20"), D("5.00"), D("1.00")),
        VatBreakdown("Z", D("0"), D("10.00"), D("0.00")),
    )
    assert (totals.charges, totals.net, totals.vat, totals.gross) == (
        D("5.00"),
        D("15.00"),
        D("1.00"),
        D("16.00"),
    )


def test_20_and_20_00_percent_are_the_same_breakdown_written_the_same_whatever_comes_first() -> None:
    lines = [line("1", "10", rate="20.00"), line("1", "10", rate="20")]

    totals = compute_totals(lines, currency="EUR")
    reversed_totals = compute_totals(lines[::-1], currency="EUR")

    assert [(str(g.rate), g.taxable) for g in totals.breakdown] == [("20", D("20.00"))]
    assert [str(g.rate) for g in reversed_totals.breakdown] == ["20"]


def test_a_prepayment_is_taken_off_the_amount_due() -> None:
    totals = compute_totals([line("1", "100")], currency="EUR", prepaid=D("50"))

    assert (totals.gross, totals.prepaid, totals.rounding, totals.due) == (
        D("120.00"),
        D("50.00"),
        D("0.00"),
        D("70.00"),
    )


def test_a_document_without_lines_totals_zero() -> None:
    zero = D("0.00")
    expected = Totals((), zero, zero, zero, zero, zero, zero, zero, zero, zero, breakdown=())
    assert compute_totals([], currency="EUR") == expected
    assert str(compute_totals([], currency="JPY").due) == "0"


def test_a_line_in_an_unknown_vat_category_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        compute_totals([line("1", "10"), line("1", "10", category="X", rate="0")], currency="EUR")

    assert refused.value.errors[0]["field"] == "lines[1].vat_category"


# Properties of any valid document


@dataclass(frozen=True)
class Document:
    currency: str
    lines: list[LineInput]
    adjustments: list[AdjustmentInput]
    prepaid: Decimal

    def totals(self) -> Totals:
        return compute_totals(self.lines, self.adjustments, currency=self.currency, prepaid=self.prepaid)

    def negated(self) -> Document:
        return Document(
            self.currency,
            [replace(item, quantity=-item.quantity) for item in self.lines],
            [replace(item, amount=-item.amount) for item in self.adjustments],
            -self.prepaid,
        )


def fixed(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals from low to high with exactly ``places`` decimals."""
    scale = 10**places
    return st.integers(low * scale, high * scale).map(lambda n: D(n).scaleb(-places))


standard_rates = st.one_of(
    st.sampled_from([D("20"), D("19"), D("10"), D("7"), D("5.5"), D("2.1"), D("8.5"), D("21"), D("0.5")]),
    fixed(0, 100, 2).filter(lambda rate: rate >= MIN_STANDARD_RATE),
)
vat_groups = st.one_of(
    st.tuples(st.just("S"), standard_rates),
    st.tuples(st.sampled_from(["Z", "E", "AE", "K", "G"]), st.sampled_from([D("0"), D("0.00")])),
)
# Values whose products land on half a cent (3 x 0.015, 0.5 x 0.01) test the rounding direction.
quantities = st.one_of(
    st.sampled_from([D(q) for q in ("1", "3", "0.5", "1.5", "-1", "-3", "-0.5", "0.333", "0")]),
    fixed(-10, 10, 4),
    fixed(-100_000, 100_000, 4),
)
unit_prices = st.one_of(
    st.sampled_from(
        [D(p) for p in ("0.005", "0.015", "0.025", "0.01", "0.15", "0.125", "19.99", "4.35", "333")]
    ),
    fixed(0, 1, 4),
    fixed(0, 100_000, 4),
)


@st.composite
def lines_in(draw: st.DrawFn, places: int) -> LineInput:
    quantity = draw(quantities)
    unit_price = draw(unit_prices)
    category, rate = draw(vat_groups)
    largest_discount = int(abs(quantity * unit_price).scaleb(places))
    discount = draw(
        st.one_of(st.just(D(0)), st.integers(0, largest_discount).map(lambda n: D(n).scaleb(-places)))
    )
    reason = EXEMPT_REASON if category == "E" else None
    return LineInput(quantity, unit_price, category, rate, discount, reason)


@st.composite
def adjustments_in(draw: st.DrawFn, places: int) -> AdjustmentInput:
    category, rate = draw(vat_groups.filter(lambda group: group[0] != "E"))
    amount = draw(st.one_of(fixed(0, 100, places), fixed(0, 1_000_000, places)))
    return AdjustmentInput(is_charge=draw(st.booleans()), amount=amount, vat_category=category, vat_rate=rate)


@st.composite
def documents(draw: st.DrawFn) -> Document:
    currency = draw(st.sampled_from(["EUR", "JPY", "BHD", "CLF", "CHF"]))
    places = document_places(currency)
    return Document(
        currency,
        draw(st.lists(lines_in(places), max_size=8)),
        draw(st.lists(adjustments_in(places), max_size=3)),
        draw(fixed(0, 10_000, places)),
    )


@settings(deadline=None)
@given(documents())
def test_the_generated_documents_pass_validation(document: Document) -> None:
    errors = validate_lines(
        document.lines,
        document.adjustments,
        seller_vat_id=SELLER,
        buyer_vat_id=BUYER,
        currency=document.currency,
    )

    assert errors == []


@settings(deadline=None)
@given(documents())
def test_br_co_10_the_sum_of_lines_is_the_sum_of_the_rounded_line_nets(document: Document) -> None:
    totals = document.totals()
    places = document_places(document.currency)

    # A discount takes the line towards zero: it is subtracted on a sale and added back on a return.
    assert totals.line_nets == tuple(
        half_up(item.quantity * item.unit_price - item.discount.copy_sign(item.quantity), places)
        for item in document.lines
    )
    assert totals.sum_lines == sum(totals.line_nets, D(0))


@settings(deadline=None)
@given(documents())
def test_br_co_11_to_13_net_is_lines_less_allowances_plus_charges(document: Document) -> None:
    totals = document.totals()
    places = document_places(document.currency)

    assert totals.allowances == sum(
        (half_up(a.amount, places) for a in document.adjustments if not a.is_charge), D(0)
    )
    assert totals.charges == sum(
        (half_up(c.amount, places) for c in document.adjustments if c.is_charge), D(0)
    )
    assert totals.net == totals.sum_lines - totals.allowances + totals.charges


@settings(deadline=None)
@given(documents())
def test_br_co_14_to_16_vat_gross_and_due_are_exact_sums(document: Document) -> None:
    totals = document.totals()

    assert totals.vat == sum((group.tax for group in totals.breakdown), D(0))
    assert totals.gross == totals.net + totals.vat
    assert totals.rounding == 0
    assert totals.due == totals.gross - totals.prepaid + totals.rounding
    assert totals.prepaid == document.prepaid


@settings(deadline=None)
@given(documents())
def test_br_co_17_each_breakdown_taxes_its_taxable_amount_once(document: Document) -> None:
    totals = document.totals()
    places = document_places(document.currency)

    for group in totals.breakdown:
        assert group.tax == half_up(group.taxable * group.rate / 100, places)
        if group.category != "S":
            assert group.tax == 0
    assert sum((group.taxable for group in totals.breakdown), D(0)) == totals.net


@settings(deadline=None)
@given(documents())
def test_the_breakdown_has_one_group_per_category_and_rate_in_category_then_descending_rate_order(
    document: Document,
) -> None:
    keys = [(group.category, group.rate) for group in document.totals().breakdown]
    order = list(VAT_CATEGORIES)

    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys, key=lambda key: (order.index(key[0]), -key[1]))
    used = {(item.vat_category, item.vat_rate) for item in document.lines}
    used |= {(item.vat_category, item.vat_rate) for item in document.adjustments}
    assert set(keys) == {(category, rate.normalize()) for category, rate in used}


@settings(deadline=None)
@given(documents())
def test_br_dec_every_amount_has_the_document_decimals_and_no_negative_zero(document: Document) -> None:
    places = document_places(document.currency)

    for amount in all_amounts(document.totals()):
        assert amount.as_tuple().exponent == -places, amount
        assert not str(amount).startswith("-") or amount != 0, amount


@settings(deadline=None)
@given(documents())
def test_negating_a_document_negates_every_total(document: Document) -> None:
    totals = document.totals()
    credit = document.negated().totals()

    assert all_amounts(credit) == [-amount for amount in all_amounts(totals)]
    assert [(g.category, g.rate, g.exemption_reason) for g in credit.breakdown] == [
        (g.category, g.rate, g.exemption_reason) for g in totals.breakdown
    ]


@settings(deadline=None)
@given(documents(), st.data())
def test_the_order_of_lines_and_adjustments_does_not_change_the_totals(
    document: Document, data: st.DataObject
) -> None:
    lines_order = data.draw(st.permutations(range(len(document.lines))))
    adjustments_order = data.draw(st.permutations(range(len(document.adjustments))))
    shuffled = Document(
        document.currency,
        [document.lines[i] for i in lines_order],
        [document.adjustments[i] for i in adjustments_order],
        document.prepaid,
    )

    totals = document.totals()
    again = shuffled.totals()

    assert again.line_nets == tuple(totals.line_nets[i] for i in lines_order)
    assert replace(again, line_nets=()) == replace(totals, line_nets=())


# Refusals


def fields(errors: list[dict[str, str]]) -> list[str]:
    return [error["field"] for error in errors]


def test_a_valid_mixed_invoice_has_no_errors() -> None:
    errors = validate_lines(
        [
            line("3", "19.99", discount="5.97"),
            line("-1", "19.99", discount="1.99"),
            line("2", "4.35", rate="5.5"),
            line("1", "80", category="E", rate="0", reason=EXEMPT_REASON),
            line("1", "1000", category="AE", rate="0"),
            line("1", "10", category="Z", rate="0.00"),
        ],
        [allowance("6.00"), charge("4.90", category="E", rate="0")],
        seller_vat_id=SELLER,
        buyer_vat_id=BUYER,
        currency="EUR",
    )

    assert errors == []


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        (line("1", "10", rate="0"), "lines[0].vat_rate", "above 0"),
        (line("1", "10", rate="0.49"), "lines[0].vat_rate", "at least 0.5 %"),  # BR-CO-17 would fail
        (line("1", "10", category="Z", rate="5"), "lines[0].vat_rate", "rate of 0"),
        (line("1", "10", category="AE", rate="20"), "lines[0].vat_rate", "rate of 0"),
        (line("1", "10", rate="100.01"), "lines[0].vat_rate", "between 0 and 100"),
        (line("1", "10", rate="-5"), "lines[0].vat_rate", "between 0 and 100"),
        (line("1", "10", rate="5.555"), "lines[0].vat_rate", "2 decimal places"),
        (line("1", "10", rate="NaN"), "lines[0].vat_rate", "finite"),
        (line("1", "10", category="VAT"), "lines[0].vat_category", "not a VAT category"),
        (line("1", "10", category="E", rate="0"), "lines[0].exemption_reason", "states why"),
        (line("1", "10", category="E", rate="0", reason="   "), "lines[0].exemption_reason", "states why"),
        (line("1", "10", reason="Exempt"), "lines[0].exemption_reason", "no exemption reason"),
        (
            line("1", "10", category="Z", rate="0", reason="Exempt"),
            "lines[0].exemption_reason",
            "no exemption",
        ),
        (line("1", "-10"), "lines[0].unit_price", "BR-27"),
        (line("1", "10.00005"), "lines[0].unit_price", "4 decimal places"),
        (line("1.00005", "10"), "lines[0].quantity", "4 decimal places"),
        (line("Infinity", "10"), "lines[0].quantity", "finite"),
        (line("1", "10", discount="-1"), "lines[0].discount", "not be negative"),
        (line("3", "19.99", discount="59.98"), "lines[0].discount", "not exceed"),
        (line("-3", "19.99", discount="59.98"), "lines[0].discount", "not exceed"),
        (line("1", "10", discount="0.005"), "lines[0].discount", "2 decimal places"),
        (line("100000000", "10000000"), "lines[0].quantity", "smaller than"),
    ],
)
def test_a_line_breaking_a_rule_is_refused_on_its_field(bad: LineInput, field: str, says: str) -> None:
    errors = validate_lines([bad], [], seller_vat_id=SELLER, buyer_vat_id=BUYER)

    assert fields(errors) == [field]
    assert says in errors[0]["message"]


def test_returns_are_allowed_as_negative_quantities() -> None:
    assert (
        validate_lines([line("-2", "19.99", discount="4")], [], seller_vat_id=None, buyer_vat_id=None) == []
    )


def test_a_discount_has_no_more_decimals_than_the_currency() -> None:
    errors = validate_lines(
        [line("1", "1000", discount="0.50")], [], seller_vat_id=None, buyer_vat_id=None, currency="JPY"
    )

    assert fields(errors) == ["lines[0].discount"]


@pytest.mark.parametrize("category", ["AE", "K"])
@pytest.mark.parametrize(
    ("seller", "buyer", "missing"),
    [
        (None, BUYER, ["seller_vat_id"]),
        (SELLER, " ", ["buyer_vat_id"]),
        (None, None, ["seller_vat_id", "buyer_vat_id"]),
    ],
)
def test_reverse_charge_and_intra_community_supply_name_both_vat_ids(
    category: str, seller: str | None, buyer: str | None, missing: list[str]
) -> None:
    lines = [line("1", "10", category=category, rate="0"), line("1", "10", category=category, rate="0")]

    errors = validate_lines(lines, [], seller_vat_id=seller, buyer_vat_id=buyer)

    assert fields(errors) == missing


def test_outside_scope_services_are_not_mixed_with_other_categories() -> None:
    lines = [line("1", "10"), line("1", "10", category="O", rate="0")]

    errors = validate_lines(
        lines, [charge("2", category="O", rate="0")], seller_vat_id=SELLER, buyer_vat_id=BUYER
    )

    assert fields(errors) == ["lines[1].vat_category", "adjustments[0].vat_category"]


def test_an_outside_scope_invoice_on_its_own_is_valid_and_says_not_subject_to_vat() -> None:
    lines = [line("1", "10", category="O", rate="0"), line("2", "5", category="O", rate="0")]

    assert validate_lines(lines, [], seller_vat_id=None, buyer_vat_id=None) == []
    assert compute_totals(lines, currency="EUR").breakdown[0].exemption_reason == "Not subject to VAT"


def test_lines_of_one_category_agree_on_the_exemption_reason() -> None:
    lines = [
        line("1", "10", category="E", rate="0", reason=EXEMPT_REASON),
        line("1", "10", category="E", rate="0", reason=EXEMPT_REASON),
        line("1", "10", category="E", rate="0", reason="Exempt: medical care"),
        line("1", "10", category="AE", rate="0"),
        line("1", "10", category="AE", rate="0", reason="Autoliquidation"),
    ]

    errors = validate_lines(lines, [], seller_vat_id=SELLER, buyer_vat_id=BUYER)

    assert fields(errors) == ["lines[2].exemption_reason", "lines[4].exemption_reason"]


def test_an_exempt_charge_needs_an_exempt_line_giving_the_reason() -> None:
    errors = validate_lines(
        [line("1", "10")], [charge("5", category="E", rate="0")], seller_vat_id=None, buyer_vat_id=None
    )

    assert fields(errors) == ["adjustments[0].vat_category"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (allowance("5", rate="0"), "adjustments[0].vat_rate"),
        (charge("5", rate="0.01"), "adjustments[0].vat_rate"),
        (charge("5", category="Z", rate="7"), "adjustments[0].vat_rate"),
        (charge("5", category="Q"), "adjustments[0].vat_category"),
        (allowance("5.001"), "adjustments[0].amount"),
        (allowance("1000000000000000"), "adjustments[0].amount"),
    ],
)
def test_an_allowance_or_charge_breaking_a_rule_is_refused_on_its_field(
    bad: AdjustmentInput, field: str
) -> None:
    errors = validate_lines([line("1", "10")], [bad], seller_vat_id=None, buyer_vat_id=None)

    assert fields(errors) == [field]
