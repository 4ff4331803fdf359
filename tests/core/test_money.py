"""Money: Decimal amounts, ISO 4217 exponents, half-up rounding, strict parsing, and the ``Amount``
column that stores amounts exactly on every backend."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import StatementError

from core.db.base import Amount
from core.db.engine import Database
from core.errors import InvalidInput
from core.money import Money, format_money, is_currency, minor_unit, parse_amount, plain_number, round_money
from tests.conftest import owner_url

EXPONENTS = {"EUR": 2, "USD": 2, "CHF": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "CLF": 4}
currencies = st.sampled_from(sorted(EXPONENTS))
# Amounts well inside the default decimal context (28 digits), up to 6 decimal places.
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False, allow_infinity=False
)


def unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-EXPONENTS[currency])


# --- exponents ---------------------------------------------------------------------------------------------


def test_minor_units_follow_iso_4217() -> None:
    for currency, exponent in EXPONENTS.items():
        assert minor_unit(currency) == exponent


@pytest.mark.parametrize("code", ["", "eur", "EURO", "ZZZ", "XAU", "XXX", "XTS"])
def test_codes_that_are_not_currencies_are_refused(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(InvalidInput) as caught:
        minor_unit(code)
    assert caught.value.errors[0]["field"] == "currency"


# --- rounding ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("0.005", "EUR", "0.01"),
        ("0.004999", "EUR", "0.00"),
        ("-0.005", "EUR", "-0.01"),  # half-up rounds ties away from zero
        ("1.005", "EUR", "1.01"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),  # not banker's rounding (which gives 4 here but 2 for 2.5)
        ("-2.5", "JPY", "-3"),
        ("0.0005", "BHD", "0.001"),
        ("1.23449", "BHD", "1.234"),
        ("0.00005", "CLF", "0.0001"),
        ("7", "EUR", "7.00"),
        ("7", "CLF", "7.0000"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(amount: str, currency: str, rounded: str) -> None:
    result = round_money(Decimal(amount), currency)
    assert result == Decimal(rounded)
    assert str(result) == rounded  # the exponent too: 7 EUR is 7.00


@given(amounts, currencies)
def test_rounding_is_idempotent_and_lands_on_the_minor_unit(amount: Decimal, currency: str) -> None:
    once = round_money(amount, currency)
    assert round_money(once, currency) == once
    assert once.as_tuple().exponent == -EXPONENTS[currency]


@given(amounts, currencies)
def test_rounding_moves_an_amount_by_at_most_half_a_minor_unit(amount: Decimal, currency: str) -> None:
    error = round_money(amount, currency) - amount
    assert abs(error) <= unit(currency) / 2
    if abs(error) == unit(currency) / 2:  # a tie: away from zero
        assert abs(round_money(amount, currency)) > abs(amount)


@given(amounts, currencies)
def test_rounding_is_symmetric_around_zero(amount: Decimal, currency: str) -> None:
    assert round_money(-amount, currency) == -round_money(amount, currency)


@given(st.lists(amounts, min_size=1, max_size=30), currencies)
def test_sum_of_rounded_parts_is_within_half_a_unit_per_part(parts: list[Decimal], currency: str) -> None:
    """Rounding each line then adding differs from adding then rounding by at most n/2 minor units:
    the reason an invoice must say where it rounds."""
    of_parts = sum((round_money(p, currency) for p in parts), Decimal(0))
    of_sum = round_money(sum(parts, Decimal(0)), currency)
    assert abs(of_parts - of_sum) <= len(parts) * unit(currency) / 2


def test_rounding_each_line_can_differ_from_rounding_the_total() -> None:
    lines = [Decimal("0.005")] * 3
    assert sum(round_money(x, "EUR") for x in lines) == Decimal("0.03")
    assert round_money(sum(lines, Decimal(0)), "EUR") == Decimal("0.02")


# --- Money -------------------------------------------------------------------------------------------------


def test_money_refuses_to_mix_currencies() -> None:
    euros, dollars = Money(Decimal("1.00"), "EUR"), Money(Decimal("1.00"), "USD")
    with pytest.raises(ValueError, match="EUR"):
        _ = euros + dollars
    with pytest.raises(ValueError, match="USD"):
        _ = euros - dollars


@pytest.mark.parametrize("amount", [1.5, 1, "1.50", None, True])
def test_money_takes_only_decimals(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "EUR")  # type: ignore[arg-type]


def test_money_refuses_an_unknown_currency() -> None:
    with pytest.raises(InvalidInput):
        Money(Decimal(1), "ABC")


@given(amounts, amounts, currencies)
def test_money_arithmetic_is_exact(a: Decimal, b: Decimal, currency: str) -> None:
    x, y = Money(a, currency), Money(b, currency)
    assert (x + y).amount == a + b
    assert (x - y).amount == a - b
    assert (x + y) - y == x
    negated = -x
    assert -negated == x and negated.amount == -a
    assert (x + y).currency == currency


def test_money_prints_rounded_but_keeps_its_exact_amount() -> None:
    price = Money(Decimal("1.005"), "EUR")
    assert str(price) == "1.01 EUR"
    assert price.amount == Decimal("1.005")
    assert price.rounded() == Money(Decimal("1.01"), "EUR")
    assert str(Money(Decimal("2.5"), "JPY")) == "3 JPY"


# --- parsing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [0.1, 12.5, float("nan"), float("inf"), True, False])
def test_parse_amount_refuses_floats_and_booleans(raw: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(raw, field="price")  # type: ignore[arg-type]
    assert caught.value.errors[0]["field"] == "price"


@pytest.mark.parametrize("raw", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "-inf"])
def test_parse_amount_refuses_non_finite_numbers(raw: str) -> None:
    with pytest.raises(InvalidInput, match="finite"):
        parse_amount(raw)


@pytest.mark.parametrize("raw", ["", "abc", "1,50", "1.2.3", "€5", "0x10", "--1"])
def test_parse_amount_refuses_text_that_is_not_a_number(raw: str) -> None:
    with pytest.raises(InvalidInput, match="not a decimal number"):
        parse_amount(raw)


def test_parse_amount_refuses_too_many_places() -> None:
    assert parse_amount("12.34", places=2) == Decimal("12.34")
    assert parse_amount("12", places=0) == Decimal(12)
    assert parse_amount("1E+3", places=0) == Decimal(1000)
    for raw in ("12.345", "0.001", "1E-3"):
        with pytest.raises(InvalidInput, match="more than 2 decimal places"):
            parse_amount(raw, places=2)


def test_parse_amount_accepts_strings_ints_and_decimals_exactly() -> None:
    assert parse_amount("12.50") == Decimal("12.50")
    assert str(parse_amount("12.50")) == "12.50"
    assert parse_amount("-0.0001") == Decimal("-0.0001")
    assert parse_amount(7) == Decimal(7)
    assert parse_amount(Decimal("3.14")) == Decimal("3.14")
    assert parse_amount("0.1") + parse_amount("0.2") == Decimal("0.3")


@given(st.decimals(min_value="-999999999999999", max_value="999999999999999", places=4))
def test_parse_amount_round_trips_its_text(amount: Decimal) -> None:
    assert parse_amount(str(amount), places=4) == amount


# --- formatting --------------------------------------------------------------------------------------------


def test_format_money_rounds_to_the_minor_unit_and_localises() -> None:
    assert format_money(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50\xa0€"
    assert format_money(Decimal("1234.565"), "EUR", "en") == "€1,234.57"
    assert format_money(Decimal("1234.5"), "JPY", "en") == "¥1,235"
    assert format_money(Decimal("1.2345"), "BHD", "en").endswith("1.235")


# --- the Amount column -------------------------------------------------------------------------------------

EXACT = [
    Decimal("0"),
    Decimal("0.0001"),
    Decimal("-0.0001"),
    Decimal("0.1"),
    Decimal("0.2"),
    Decimal("12.5"),
    Decimal("-12345678901234.5678"),
    Decimal("99999999999999.9999"),
    Decimal("1E+3"),
]


async def test_the_amount_column_stores_decimals_exactly(database: Database) -> None:
    if not database.is_sqlite:
        database = Database(owner_url(database.url))  # the servers' role may not create tables
    try:
        await _stores_decimals_exactly(database)
    finally:
        await database.dispose()


async def _stores_decimals_exactly(database: Database) -> None:
    metadata = MetaData()
    table = Table(
        f"amount_probe_{secrets.token_hex(4)}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", Amount()),
    )
    async with database.write_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with database.write_engine.begin() as conn:
            await conn.execute(insert(table), [{"id": n, "amount": v} for n, v in enumerate(EXACT)])
            stored = (await conn.execute(select(table.c.amount).order_by(table.c.id))).scalars().all()
            assert stored == EXACT
            assert all(isinstance(v, Decimal) for v in stored)
            tenths = (
                await conn.execute(select(func.sum(table.c.amount)).where(table.c.id.in_([3, 4])))
            ).scalar_one()
            assert Decimal(tenths) == Decimal("0.3")  # 0.1 + 0.2, summed by the database, exactly
            # A value the column cannot hold exactly is refused, never silently rounded.
            with pytest.raises((StatementError, ValueError)):
                async with conn.begin_nested():
                    await conn.execute(insert(table), [{"id": 99, "amount": Decimal("0.00001")}])
            if database.is_sqlite:
                assert (
                    await conn.execute(select(table.c.amount).where(table.c.id == 99))
                ).scalar_one_or_none() is None
    finally:
        async with database.write_engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)


def test_absurdly_large_amounts_are_refused_as_input() -> None:
    with pytest.raises(InvalidInput, match="smaller than"):
        parse_amount("1e30")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("20", "20"),
        ("20.0000", "20"),
        ("2E+1", "20"),
        ("1E+3", "1000"),
        ("12.5000", "12.5"),
        ("-2.5000", "-2.5"),
        ("-0.0000", "0"),
        ("0E-4", "0"),
        ("1E-7", "0.0000001"),
    ],
)
def test_a_number_is_shown_as_people_write_it(stored: str, shown: str) -> None:
    assert plain_number(Decimal(stored)) == shown
