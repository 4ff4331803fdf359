"""The overview a bookkeeper sees first: open and overdue totals, invoiced per month, oldest overdue."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.db.engine import Database
from modules.invoicing.services.overview import (
    Invoiced,
    Receivables,
    invoiced_by_month,
    month_start,
    receivables,
)
from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import make_customer
from tests.modules.invoicing.test_reports import TODAY, ago, due_ago, issued, pay
from tests.pages import log_in, text_of

Client = AsyncTestClient[Litestar]


async def owed(database: Database, coop: Coop, *, currency: str = "EUR") -> Receivables:
    async with database.session(write=False, tenant_id=coop.id) as session:
        return await receivables(session, currency=currency, today=TODAY)


async def invoiced(database: Database, coop: Coop) -> Invoiced:
    async with database.session(write=False, tenant_id=coop.id) as session:
        return await invoiced_by_month(session, currency="EUR", today=TODAY)


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

    seen = await owed(database, shop)
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

    seen = await invoiced(database, shop)
    months = seen.months
    assert len(months) == 12
    assert months[-1].month == this_month and months[0].month == month_start(TODAY, 11)
    assert seen.this_month == Decimal("-10.00")
    assert seen.last_month == Decimal("30.00")
    assert sum(m.invoiced for m in months) == Decimal("20.00")


async def test_other_currencies_are_named_not_added(client: Client, shop: Coop, database: Database) -> None:
    grocer = await make_customer(client, shop)
    await issued(client, shop, grocer["id"], currency="CHF", issue_date=ago(1))
    seen = await owed(database, shop)
    assert seen.open_total == Decimal(0)
    assert seen.other_currencies == ["CHF"]
    assert (await owed(database, shop, currency="CHF")).open_count == 1


async def test_a_co_op_sees_only_its_own_figures(client: Client, shop: Coop, database: Database) -> None:
    grocer = await make_customer(client, shop)
    await due_ago(client, shop, grocer["id"], 3)
    async with database.session(write=False, tenant_id=uuid.uuid4()) as session:
        empty = await receivables(session, currency="EUR", today=TODAY)
        nothing = await invoiced_by_month(session, currency="EUR", today=TODAY)
    assert empty.open_count == 0 and empty.oldest_overdue == []
    assert all(month.invoiced == 0 for month in nothing.months)


async def test_the_dashboard_shows_a_bookkeeper_what_is_owed_and_invoiced(
    client: Client, shop: Coop, world: World
) -> None:
    grocer = await make_customer(client, shop, name="Late Grocer")
    late = await due_ago(client, shop, grocer["id"], 12)
    await issued(client, shop, grocer["id"], issue_date=TODAY.isoformat())
    bookkeeper = await world.join(shop, "bookkeeper")
    await log_in(client, bookkeeper)
    page = await client.get(f"/t/{shop.slug}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Receivables" in text and "Invoiced" in text
    assert f"{late['number']} Late Grocer {ago(12)} 12 €24.00" in text.replace("\xa0", " ")
    assert "This month: €20.00" in text.replace("\xa0", " ")
    chart = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert chart.count('class="chart-bar') == 12
    assert '<table class="chart-figures' in page.text  # the figures beside the picture


async def test_a_member_and_a_co_op_without_invoicing_see_no_invoicing_cards(
    client: Client, shop: Coop, world: World
) -> None:
    member = await world.join(shop, "member")
    await log_in(client, member)
    assert "Receivables" not in text_of(await client.get(f"/t/{shop.slug}"))
    plain = await world.coop()
    await log_in(client, plain.owner)
    seen = text_of(await client.get(f"/t/{plain.slug}"))
    assert "Members" in seen and "Receivables" not in seen
