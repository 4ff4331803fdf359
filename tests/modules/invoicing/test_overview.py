"""The overview a bookkeeper sees first: open and overdue totals, invoiced per month, oldest overdue."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.db.engine import Database
from modules.invoicing.services.overview import Overview, month_start, overview
from tests.conftest import Coop
from tests.modules.invoicing.conftest import make_customer
from tests.modules.invoicing.test_reports import TODAY, ago, due_ago, issued, pay

Client = AsyncTestClient[Litestar]


async def figures(database: Database, coop: Coop, *, currency: str = "EUR", today: date = TODAY) -> Overview:
    async with database.session(write=False, tenant_id=coop.id) as session:
        return await overview(session, currency=currency, today=today)


def test_month_start_steps_back_across_years() -> None:
    assert month_start(date(2026, 3, 17)) == date(2026, 3, 1)
    assert month_start(date(2026, 3, 17), 3) == date(2025, 12, 1)
    assert month_start(date(2026, 1, 31), 13) == date(2024, 12, 1)


async def test_open_and_overdue_totals_count_what_is_still_owed(
    client: Client, shop: Coop, database: Database
) -> None:
    grocer = await make_customer(client, shop, name="A Grocer")
    await issued(client, shop, grocer["id"], due_date=(TODAY + timedelta(days=30)).isoformat())  # 24.00
    late = await due_ago(client, shop, grocer["id"], 10)  # 24.00, 10 days late
    partly = await due_ago(client, shop, grocer["id"], 40)
    await pay(client, shop, partly["id"], "10.00")  # 14.00 left, 40 days late
    paid = await due_ago(client, shop, grocer["id"], 5)
    await pay(client, shop, paid["id"], "24.00")
    draft = await client.post(
        f"{shop.api}/invoices",
        json={"customer_id": grocer["id"], "currency": "EUR", "lines": []},
        headers=shop.owner.headers,
    )
    assert draft.status_code == 201, draft.text

    seen = await figures(database, shop)
    assert (seen.open_count, seen.open_total) == (3, Decimal("62.00"))
    assert (seen.overdue_count, seen.overdue_total) == (2, Decimal("38.00"))
    oldest = seen.oldest_overdue
    assert [str(o.id) for o in oldest] == [partly["id"], late["id"]]
    assert [(o.balance, o.days_late, o.customer) for o in oldest] == [
        (Decimal("14.00"), 40, "A Grocer"),
        (Decimal("24.00"), 10, "A Grocer"),
    ]


async def test_invoiced_per_month_is_net_of_credit_notes_and_ends_this_month(
    client: Client, shop: Coop, database: Database
) -> None:
    grocer = await make_customer(client, shop)
    this_month = month_start(TODAY)
    last_month = month_start(TODAY, 1)
    await issued(client, shop, grocer["id"], issue_date=this_month.isoformat())  # 20.00 net
    credited = await issued(
        client, shop, grocer["id"], ("Crates", "3", "10.00", "20"), issue_date=last_month.isoformat()
    )  # 30.00 net
    await issued(client, shop, grocer["id"], issue_date=month_start(TODAY, 12).isoformat())  # too old
    credit = await client.post(
        f"{shop.api}/invoices/{credited['id']}/credit",
        json={"reason": "Crates returned"},
        headers=shop.owner.headers,
    )
    assert credit.status_code in (200, 201), credit.text  # issued today, so this month

    seen = await figures(database, shop)
    months = seen.months
    assert len(months) == 12
    assert months[-1].month == this_month and months[0].month == month_start(TODAY, 11)
    assert seen.this_month == Decimal("-10.00")
    assert seen.last_month == Decimal("30.00")
    assert sum(m.invoiced for m in months) == Decimal("20.00")


async def test_other_currencies_are_named_not_added(client: Client, shop: Coop, database: Database) -> None:
    grocer = await make_customer(client, shop)
    await issued(client, shop, grocer["id"], currency="CHF", issue_date=ago(1))
    seen = await figures(database, shop)
    assert seen.open_total == Decimal(0)
    assert seen.other_currencies == ["CHF"]
    assert (await figures(database, shop, currency="CHF")).open_count == 1


async def test_a_co_op_sees_only_its_own_figures(client: Client, shop: Coop, database: Database) -> None:
    grocer = await make_customer(client, shop)
    await due_ago(client, shop, grocer["id"], 3)
    async with database.session(write=False, tenant_id=uuid.uuid4()) as session:
        empty = await overview(session, currency="EUR", today=TODAY)
    assert empty.open_count == 0 and empty.oldest_overdue == []
