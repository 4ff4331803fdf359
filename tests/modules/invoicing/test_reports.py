"""Reports checked the way a bookkeeper would: aged receivables, the VAT summary, revenue per customer."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body, make_customer

Client = AsyncTestClient[Litestar]
TODAY = date.today()  # noqa: DTZ011 - the test co-ops live in UTC


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def issued(
    client: Client, coop: Coop, customer_id: str, *lines: tuple[str, str, str, str], **extra: Any
) -> dict[str, Any]:
    draft = await client.post(
        f"{coop.api}/invoices", json=invoice_body(customer_id, *lines, **extra), headers=coop.owner.headers
    )
    assert draft.status_code == 201, draft.text
    answer = await client.post(f"{coop.api}/invoices/{draft.json()['id']}/issue", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def due_ago(client: Client, coop: Coop, customer_id: str, days: int, **extra: Any) -> dict[str, Any]:
    """An invoice of 24.00 issued 30 days before its due date, which was ``days`` ago."""
    return await issued(client, coop, customer_id, issue_date=ago(days + 30), due_date=ago(days), **extra)


async def pay(client: Client, coop: Coop, invoice_id: str, amount: str) -> None:
    answer = await client.post(
        f"{coop.api}/payments",
        json={
            "invoice_id": invoice_id,
            "amount": amount,
            "date": TODAY.isoformat(),
            "method": "bank_transfer",
        },
        headers=coop.owner.headers,
    )
    assert answer.status_code == 201, answer.text


async def report(client: Client, coop: Coop, name: str, **params: str) -> Any:
    answer = await client.get(f"{coop.api}/reports/{name}", params=params, headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def report_csv(client: Client, coop: Coop, name: str, **params: str) -> list[dict[str, str]]:
    answer = await client.get(
        f"{coop.api}/reports/{name}", params=params, headers={**coop.owner.headers, "Accept": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_aged_receivables_put_each_open_balance_in_its_bucket(client: Client, shop: Coop) -> None:
    grocer = await make_customer(client, shop, name="A Grocer")
    baker = await make_customer(client, shop, name="B Baker")
    current = await issued(client, shop, grocer["id"], due_date=(TODAY + timedelta(days=30)).isoformat())
    due_today = await due_ago(client, shop, grocer["id"], 0)
    thirty = await due_ago(client, shop, grocer["id"], 30)
    partly = await due_ago(client, shop, grocer["id"], 10)
    await pay(client, shop, partly["id"], "10.00")  # 14.00 left
    forty_five = await due_ago(client, shop, grocer["id"], 45)
    thirty_one = await due_ago(client, shop, grocer["id"], 31)
    seventy_five = await due_ago(client, shop, baker["id"], 75)
    hundred = await due_ago(client, shop, baker["id"], 100)
    paid = await due_ago(client, shop, baker["id"], 50)
    await pay(client, shop, paid["id"], "24.00")
    voided = await due_ago(client, shop, baker["id"], 40)
    note = await client.post(
        f"{shop.api}/invoices/{voided['id']}/credit", json={}, headers=shop.owner.headers
    )
    assert note.status_code == 201, note.text
    dollars = await due_ago(client, shop, baker["id"], 61, currency="USD")
    await client.post(
        f"{shop.api}/invoices", json=invoice_body(grocer["id"]), headers=shop.owner.headers
    )  # draft
    assert [
        d["state"] for d in (current, due_today, thirty, forty_five, thirty_one, seventy_five, hundred)
    ] == ["issued"] * 7

    aged = await report(client, shop, "aged-receivables")
    assert aged["on"] == TODAY.isoformat()
    eur, usd = aged["currencies"]
    assert (eur["currency"], usd["currency"]) == ("EUR", "USD")
    by_name = {c["name"]: c for c in eur["customers"]}
    assert by_name["A Grocer"] == {
        "customer_id": grocer["id"],
        "name": "A Grocer",
        "invoices": 6,
        "current": "48.00",  # due in 30 days, and due today
        "days_1_30": "38.00",  # 30 days past due (24.00), 10 days past due with 10.00 paid (14.00)
        "days_31_60": "48.00",  # 31 and 45 days past due
        "days_61_90": "0.00",
        "days_over_90": "0.00",
        "total": "134.00",
    }
    assert by_name["B Baker"] == {
        "customer_id": baker["id"],
        "name": "B Baker",
        "invoices": 2,  # the paid and the credited invoices owe nothing
        "current": "0.00",
        "days_1_30": "0.00",
        "days_31_60": "0.00",
        "days_61_90": "24.00",
        "days_over_90": "24.00",
        "total": "48.00",
    }
    assert eur["totals"] == {
        "invoices": 8,
        "current": "48.00",
        "days_1_30": "38.00",
        "days_31_60": "48.00",
        "days_61_90": "24.00",
        "days_over_90": "24.00",
        "total": "182.00",
    }
    assert [(c["name"], c["days_61_90"], c["total"]) for c in usd["customers"]] == [
        ("B Baker", "24.00", "24.00")
    ]
    assert dollars["currency"] == "USD"

    # As it stood 20 days ago: today's payments and credit note had not come in, the newest invoice
    # did not exist, and every invoice was 20 days less late.
    before = await report(client, shop, "aged-receivables", on=ago(20))
    rows = {c["name"]: c for c in before["currencies"][0]["customers"]}
    assert rows["A Grocer"] == {
        "customer_id": grocer["id"],
        "name": "A Grocer",
        "invoices": 5,
        "current": "48.00",  # due today, and due 10 days ago (then not yet due, and unpaid)
        "days_1_30": "72.00",  # now 30, 31 and 45 days past due: 10, 11 and 25 then
        "days_31_60": "0.00",
        "days_61_90": "0.00",
        "days_over_90": "0.00",
        "total": "120.00",
    }
    assert rows["B Baker"] == {
        "customer_id": baker["id"],
        "name": "B Baker",
        "invoices": 4,
        "current": "0.00",
        "days_1_30": "48.00",  # paid today and credited today: both still owed then
        "days_31_60": "24.00",
        "days_61_90": "24.00",
        "days_over_90": "0.00",
        "total": "96.00",
    }


async def test_aged_receivables_as_csv(client: Client, shop: Coop) -> None:
    grocer = await make_customer(client, shop, name="A Grocer")
    await due_ago(client, shop, grocer["id"], 45)
    late = await due_ago(client, shop, grocer["id"], 95)
    await pay(client, shop, late["id"], "4.00")
    rows = await report_csv(client, shop, "aged-receivables")
    assert rows == [
        {
            "currency": "EUR",
            "customer_id": grocer["id"],
            "customer": "A Grocer",
            "invoices": "2",
            "current": "0.00",
            "days_1_30": "0.00",
            "days_31_60": "24.00",
            "days_61_90": "0.00",
            "days_over_90": "20.00",
            "total": "44.00",
        },
        {
            "currency": "EUR",
            "customer_id": "",
            "customer": "TOTAL",
            "invoices": "2",
            "current": "0.00",
            "days_1_30": "0.00",
            "days_31_60": "24.00",
            "days_61_90": "0.00",
            "days_over_90": "20.00",
            "total": "44.00",
        },
    ]
    explicit = await client.get(
        f"{shop.api}/reports/aged-receivables", params={"format": "csv"}, headers=shop.owner.headers
    )
    assert explicit.headers["content-type"].startswith("text/csv")


async def test_the_vat_summary_equals_the_vat_of_the_invoices_minus_credit_notes(
    client: Client, shop: Coop
) -> None:
    grocer = await make_customer(client, shop, name="A Grocer")
    baker = await make_customer(client, shop, name="B Baker")
    this_month = TODAY.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=15)
    before = (this_month - timedelta(days=1)).replace(day=1) - timedelta(days=1)  # outside the period
    mixed = await issued(
        client, shop, grocer["id"], ("Boxes", "2", "10.00", "20"), ("Delivery", "1", "4.99", "5.5")
    )
    discounted = await issued(
        client,
        shop,
        baker["id"],
        ("Flour", "3", "33.33", "20"),
        adjustments=[{"amount": "9.99", "vat_rate": "20", "reason": "Loyalty"}],
    )
    older = await issued(
        client, shop, baker["id"], ("Seeds", "7", "3.10", "5.5"), issue_date=last_month.isoformat()
    )
    await issued(client, shop, baker["id"], ("Old", "1", "1000.00", "20"), issue_date=before.isoformat())
    await client.post(
        f"{shop.api}/invoices", json=invoice_body(grocer["id"]), headers=shop.owner.headers
    )  # draft
    note = await client.post(
        f"{shop.api}/invoices/{mixed['id']}/credit",
        json={"lines": [{"description": "Boxes", "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}]},
        headers=shop.owner.headers,
    )
    assert note.status_code == 201, note.text
    credit = note.json()

    vat = await report(
        client, shop, "vat", **{"from": last_month.replace(day=1).isoformat(), "to": TODAY.isoformat()}
    )
    period, current = f"{last_month:%Y-%m}", f"{TODAY:%Y-%m}"
    rows = {(r["period"], r["category"], r["rate"]): (r["taxable"], r["tax"]) for r in vat["rows"]}
    # 3 x 33.33 = 99.99 - 9.99 = 90.00 at 20 %: 18.00; 2 x 10.00 = 20.00: 4.00; less the credit 10.00: 2.00.
    assert rows == {
        (period, "S", "5.5"): ("21.70", "1.19"),
        (current, "S", "20"): ("100.00", "20.00"),
        (current, "S", "5.5"): ("4.99", "0.27"),
    }
    documents = [mixed, discounted, older]
    total_tax = sum((Decimal(d["total_vat"]) for d in documents), Decimal(0)) - Decimal(credit["total_vat"])
    total_taxable = sum((Decimal(d["total_net"]) for d in documents), Decimal(0)) - Decimal(
        credit["total_net"]
    )
    assert sum(Decimal(r["tax"]) for r in vat["rows"]) == total_tax == Decimal("21.46")
    assert sum(Decimal(r["taxable"]) for r in vat["rows"]) == total_taxable
    assert {(t["category"], t["rate"]): (t["taxable"], t["tax"]) for t in vat["totals"]} == {
        ("S", "20"): ("100.00", "20.00"),
        ("S", "5.5"): ("26.69", "1.46"),
    }
    only_last = await report(
        client, shop, "vat", **{"from": last_month.replace(day=1).isoformat(), "to": last_month.isoformat()}
    )
    assert [(r["period"], r["tax"], r["documents"]) for r in only_last["rows"]] == [(period, "1.19", 1)]
    lines = await report_csv(client, shop, "vat", **{"from": last_month.isoformat(), "to": TODAY.isoformat()})
    assert lines[0] == {
        "period": period,
        "currency": "EUR",
        "category": "S",
        "rate": "5.5",
        "taxable": "21.70",
        "tax": "1.19",
        "documents": "1",
    }
    assert [line["period"] for line in lines] == [period, current, current, "total", "total"]
    backwards = await client.get(
        f"{shop.api}/reports/vat",
        params={"from": TODAY.isoformat(), "to": ago(1)},
        headers=shop.owner.headers,
    )
    assert backwards.status_code == 422


async def test_revenue_per_customer_is_invoices_minus_credit_notes(client: Client, shop: Coop) -> None:
    grocer = await make_customer(client, shop, name="A Grocer")
    baker = await make_customer(client, shop, name="B Baker")
    first = await issued(
        client, shop, grocer["id"], ("Boxes", "2", "10.00", "20"), ("Delivery", "1", "4.99", "5.5")
    )
    await issued(client, shop, grocer["id"], ("Crates", "1", "90.00", "20"))
    await issued(client, shop, baker["id"], ("Seeds", "1", "50.00", "5.5"))
    await issued(client, shop, baker["id"], ("Old", "1", "999.00", "20"), issue_date=ago(400))
    note = await client.post(
        f"{shop.api}/invoices/{first['id']}/credit",
        json={"lines": [{"description": "Boxes", "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}]},
        headers=shop.owner.headers,
    )
    assert note.status_code == 201, note.text
    revenue = await report(client, shop, "revenue", **{"from": ago(30), "to": TODAY.isoformat()})
    assert [
        (c["name"], c["invoices"], c["credit_notes"], c["invoiced"], c["credited"], c["net"])
        for c in revenue["customers"]
    ] == [
        ("A Grocer", 2, 1, "114.99", "10.00", "104.99"),
        ("B Baker", 1, 0, "50.00", "0.00", "50.00"),
    ]
    assert revenue["totals"] == {"EUR": "154.99"}
    rows = await report_csv(client, shop, "revenue", **{"from": ago(30), "to": TODAY.isoformat()})
    assert [(r["customer"], r["net"]) for r in rows] == [("A Grocer", "104.99"), ("B Baker", "50.00")]


async def test_reports_need_the_view_permission(client: Client, shop: Coop, world: World) -> None:
    customer = await make_customer(client, shop)
    member = await world.join(shop, "member", party_id=uuid.UUID(customer["id"]))
    viewer = await world.join(shop, "viewer")
    for name in ("aged-receivables", "vat", "revenue"):
        url = f"{shop.api}/reports/{name}"
        assert (await client.get(url, headers=member.headers)).status_code == 403
        assert (await client.get(url, headers=viewer.headers)).status_code == 200
    wrong = await client.get(f"{shop.api}/reports/vat", params={"format": "xls"}, headers=viewer.headers)
    assert wrong.status_code == 422


async def test_report_csvs_show_a_formula_in_a_name_as_text_and_keep_negative_amounts(
    client: Client, shop: Coop
) -> None:
    hostile = await make_customer(client, shop, name='=HYPERLINK("http://evil.test","Pay here")')
    invoice = await issued(client, shop, hostile["id"], issue_date=ago(500), due_date=ago(470))
    credit = await client.post(
        f"{shop.api}/invoices/{invoice['id']}/credit",
        json={"reason": "@SUM(1+1)"},
        headers=shop.owner.headers,
    )
    assert credit.status_code == 201, credit.text
    await issued(client, shop, hostile["id"], issue_date=ago(200), due_date=ago(170))  # still open
    aged = await report_csv(client, shop, "aged-receivables")
    assert aged[0]["customer"] == '\'=HYPERLINK("http://evil.test","Pay here")'
    # The credit note falls in the period, its invoice does not: the customer's net revenue is negative.
    revenue = await report_csv(client, shop, "revenue", **{"from": ago(100), "to": TODAY.isoformat()})
    assert revenue[0]["customer"].startswith("'=HYPERLINK(")
    assert "-20.00" in revenue[0].values(), revenue
