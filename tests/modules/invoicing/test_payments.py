"""Payments: partial, full, over; split across invoices; held credit; balances; the rules; concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from core.db.engine import Database
from core.models import AuditEntry
from modules.invoicing.models import Allocation, Document
from tests.conftest import Coop, World, same_loop_client
from tests.modules.invoicing.conftest import invoice_body, make_customer, published

Client = AsyncTestClient[Litestar]
TODAY = date.today()  # noqa: DTZ011 - the test co-ops live in UTC, like the API's ctx.today()


async def issued(client: Client, coop: Coop, customer_id: str, **extra: Any) -> dict[str, Any]:
    """An issued invoice of 2 x 10.00 + 20 % VAT = 24.00, unless other lines are given."""
    lines = extra.pop("lines", ())
    draft = await client.post(
        f"{coop.api}/invoices", json=invoice_body(customer_id, *lines, **extra), headers=coop.owner.headers
    )
    assert draft.status_code == 201, draft.text
    answer = await client.post(f"{coop.api}/invoices/{draft.json()['id']}/issue", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def invoice(client: Client, coop: Coop, invoice_id: str) -> dict[str, Any]:
    answer = await client.get(f"{coop.api}/invoices/{invoice_id}", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def pay(
    client: Client,
    coop: Coop,
    body: dict[str, Any],
    *,
    status: int = 201,
    headers: dict[str, str] | None = None,
) -> Any:
    answer = await client.post(
        f"{coop.api}/payments",
        json={"date": TODAY.isoformat(), "method": "bank_transfer", **body},
        headers={**coop.owner.headers, **(headers or {})},
    )
    assert answer.status_code == status, answer.text
    return answer.json()


async def test_a_payment_of_the_whole_amount_pays_the_invoice(
    client: Client, shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    bill = await issued(client, shop, customer["id"])
    async with published("payment.recorded") as recorded, published("invoice.paid") as paid:
        payment = await pay(
            client,
            shop,
            {"invoice_id": bill["id"], "amount": "24.00", "method": "card", "reference": "STRIPE-42"},
        )
    assert (payment["amount"], payment["allocated"], payment["unallocated"]) == ("24.00", "24.00", "0.00")
    assert (payment["customer_id"], payment["method"], payment["reference"]) == (
        customer["id"],
        "card",
        "STRIPE-42",
    )
    assert [(a["invoice_number"], a["amount"]) for a in payment["allocations"]] == [(bill["number"], "24.00")]
    after = await invoice(client, shop, bill["id"])
    assert (after["state"], after["amount_paid"], after["balance"]) == ("paid", "24.00", "0.00")
    assert [(str(e["payment_id"]), e["amount"], e["currency"]) for e in recorded] == [
        (payment["id"], Decimal("24.00"), "EUR")
    ]
    assert [str(i) for i in recorded[0]["invoice_ids"]] == [bill["id"]]
    assert str(recorded[0]["customer_id"]) == customer["id"]
    assert [e["number"] for e in paid] == [bill["number"]]
    async with database.session(write=False, tenant_id=shop.id) as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "payment", AuditEntry.object_id == payment["id"])
        )
    assert audited == 1


async def test_partial_payments_then_the_rest(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    bill = await issued(client, shop, customer["id"])
    async with published("invoice.paid") as paid:
        await pay(client, shop, {"invoice_id": bill["id"], "amount": "10.00"})
        middle = await invoice(client, shop, bill["id"])
        assert (middle["state"], middle["amount_paid"], middle["balance"]) == (
            "partially_paid",
            "10.00",
            "14.00",
        )
        assert paid == []
        await pay(client, shop, {"invoice_id": bill["id"], "amount": "14.00", "method": "cash"})
    after = await invoice(client, shop, bill["id"])
    assert (after["state"], after["balance"]) == ("paid", "0.00")
    assert len(paid) == 1
    # A further payment "for" a paid invoice is refused: it would most likely be recorded twice.
    await pay(client, shop, {"invoice_id": bill["id"], "amount": "1.00"}, status=409)


async def test_an_overpayment_is_held_as_credit_and_applied_later(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    first = await issued(client, shop, customer["id"])
    payment = await pay(client, shop, {"invoice_id": first["id"], "amount": "30.00"})
    assert (payment["allocated"], payment["unallocated"]) == ("24.00", "6.00")
    assert (await invoice(client, shop, first["id"]))["state"] == "paid"
    balance = (
        await client.get(f"{shop.api}/customers/{customer['id']}/balance", headers=shop.owner.headers)
    ).json()
    assert balance["balances"]["EUR"] == {
        "open_invoices": 0,
        "receivable": "0.00",
        "overdue": "0.00",
        "credit": "6.00",
    }

    second = await issued(client, shop, customer["id"])
    applied = await client.post(
        f"{shop.api}/payments/{payment['id']}/allocate",
        json={"invoice_id": second["id"]},
        headers=shop.owner.headers,
    )
    assert applied.status_code == 200, applied.text
    assert (applied.json()["unallocated"], [a["amount"] for a in applied.json()["allocations"]]) == (
        "0.00",
        ["24.00", "6.00"],
    )
    after = await invoice(client, shop, second["id"])
    assert (after["state"], after["amount_paid"], after["balance"]) == ("partially_paid", "6.00", "18.00")
    again = await client.post(
        f"{shop.api}/payments/{payment['id']}/allocate",
        json={"invoice_id": second["id"]},
        headers=shop.owner.headers,
    )
    assert again.status_code == 409
    balance = (
        await client.get(f"{shop.api}/customers/{customer['id']}/balance", headers=shop.owner.headers)
    ).json()
    assert balance["balances"]["EUR"] == {
        "open_invoices": 1,
        "receivable": "18.00",
        "overdue": "0.00",
        "credit": "0.00",
    }


async def test_allocating_held_credit_follows_the_rules(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    other = await make_customer(client, shop, name="Other Buyer")
    payment = await pay(client, shop, {"customer_id": customer["id"], "amount": "50.00"})
    assert payment["unallocated"] == "50.00"  # nothing open yet: all of it is credit
    bill = await issued(client, shop, customer["id"])
    theirs = await issued(client, shop, other["id"])
    url = f"{shop.api}/payments/{payment['id']}/allocate"
    refused = {
        "more than the balance": ({"invoice_id": bill["id"], "amount": "24.01"}, 409),
        "another customer's invoice": ({"invoice_id": theirs["id"], "amount": "1.00"}, 422),
        "zero": ({"invoice_id": bill["id"], "amount": "0"}, 422),
        "both shapes": ({"invoice_id": bill["id"], "allocations": []}, 422),
    }
    for why, (body, status) in refused.items():
        answer = await client.post(url, json=body, headers=shop.owner.headers)
        assert answer.status_code == status, (why, answer.text)
    answer = await client.post(
        url, json={"allocations": [{"invoice_id": bill["id"], "amount": "20.00"}]}, headers=shop.owner.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["unallocated"] == "30.00"
    assert (await invoice(client, shop, bill["id"]))["balance"] == "4.00"


async def test_one_payment_split_across_invoices(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    a = await issued(client, shop, customer["id"])
    b = await issued(client, shop, customer["id"], lines=[("Crates", "1", "50.00", "20")])  # 60.00
    payment = await pay(
        client,
        shop,
        {
            "customer_id": customer["id"],
            "amount": "70.00",
            "allocations": [
                {"invoice_id": a["id"], "amount": "24.00"},
                {"invoice_id": b["id"], "amount": "40.00"},
            ],
        },
    )
    assert (payment["allocated"], payment["unallocated"]) == ("64.00", "6.00")
    assert {x["invoice_number"]: x["amount"] for x in payment["allocations"]} == {
        a["number"]: "24.00",
        b["number"]: "40.00",
    }
    assert (await invoice(client, shop, a["id"]))["state"] == "paid"
    assert (await invoice(client, shop, b["id"]))["balance"] == "20.00"
    shown = (await client.get(f"{shop.api}/payments/{payment['id']}", headers=shop.owner.headers)).json()
    assert shown == payment


async def test_a_customer_payment_settles_the_oldest_due_first(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    later = await issued(client, shop, customer["id"], due_date=(TODAY + timedelta(days=30)).isoformat())
    oldest = await issued(
        client,
        shop,
        customer["id"],
        issue_date=(TODAY - timedelta(days=60)).isoformat(),
        due_date=(TODAY - timedelta(days=30)).isoformat(),
    )
    middle = await issued(
        client,
        shop,
        customer["id"],
        issue_date=(TODAY - timedelta(days=20)).isoformat(),
        due_date=(TODAY + timedelta(days=10)).isoformat(),
    )
    usd = await issued(
        client, shop, customer["id"], currency="USD", due_date=(TODAY - timedelta(days=90)).isoformat()
    )
    payment = await pay(client, shop, {"customer_id": customer["id"], "amount": "30.00", "currency": "EUR"})
    assert [(x["invoice_number"], x["amount"]) for x in payment["allocations"]] == [
        (oldest["number"], "24.00"),
        (middle["number"], "6.00"),
    ]
    assert payment["unallocated"] == "0.00"
    states = [(await invoice(client, shop, d["id"]))["state"] for d in (oldest, middle, later, usd)]
    assert states == ["paid", "partially_paid", "issued", "issued"]
    # With no currency the tenant's is meant; the USD invoice is left to a USD payment.
    dollars = await pay(client, shop, {"customer_id": customer["id"], "amount": "100.00", "currency": "USD"})
    assert [(x["invoice_number"], x["amount"]) for x in dollars["allocations"]] == [(usd["number"], "24.00")]
    assert dollars["unallocated"] == "76.00"


async def test_payments_that_break_the_rules_are_refused_and_change_nothing(
    client: Client, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    other = await make_customer(client, shop, name="Someone Else")
    bill = await issued(client, shop, customer["id"])
    second = await issued(client, shop, customer["id"])
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    credit = (
        await client.post(
            f"{shop.api}/invoices/{second['id']}/credit",
            json={
                "lines": [{"description": "Bruised", "quantity": "1", "unit_price": "1.00", "vat_rate": "20"}]
            },
            headers=shop.owner.headers,
        )
    ).json()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    refused: dict[str, tuple[dict[str, Any], int]] = {
        "in the future": ({"invoice_id": bill["id"], "amount": "5.00", "date": tomorrow}, 422),
        "zero": ({"invoice_id": bill["id"], "amount": "0.00"}, 422),
        "negative": ({"invoice_id": bill["id"], "amount": "-5.00"}, 422),
        "a float": ({"invoice_id": bill["id"], "amount": 5.0}, 422),
        "not a number": ({"invoice_id": bill["id"], "amount": "five"}, 422),
        "too many decimals": ({"invoice_id": bill["id"], "amount": "5.001"}, 422),
        "an unknown method": ({"invoice_id": bill["id"], "amount": "5.00", "method": "barter"}, 422),
        "a draft": ({"invoice_id": draft["id"], "amount": "5.00"}, 409),
        "a credit note": ({"invoice_id": credit["id"], "amount": "1.00"}, 422),
        "another currency": ({"invoice_id": bill["id"], "amount": "5.00", "currency": "USD"}, 422),
        "an unknown invoice": ({"invoice_id": "00000000-0000-4000-8000-000000000000", "amount": "5.00"}, 404),
        "another customer": ({"invoice_id": bill["id"], "customer_id": other["id"], "amount": "5.00"}, 422),
        "nobody": ({"amount": "5.00"}, 422),
        "beyond the balance": (
            {
                "customer_id": customer["id"],
                "amount": "30.00",
                "allocations": [{"invoice_id": bill["id"], "amount": "24.01"}],
            },
            409,
        ),
        "more than the payment": (
            {
                "customer_id": customer["id"],
                "amount": "30.00",
                "allocations": [
                    {"invoice_id": bill["id"], "amount": "20.00"},
                    {"invoice_id": second["id"], "amount": "15.00"},
                ],
            },
            409,
        ),
        "another customer's invoice in the split": (
            {
                "customer_id": other["id"],
                "amount": "5.00",
                "allocations": [{"invoice_id": bill["id"], "amount": "5.00"}],
            },
            422,
        ),
        "an invoice twice": (
            {
                "customer_id": customer["id"],
                "amount": "10.00",
                "allocations": [
                    {"invoice_id": bill["id"], "amount": "5.00"},
                    {"invoice_id": bill["id"], "amount": "5.00"},
                ],
            },
            422,
        ),
    }
    for why, (body, status) in refused.items():
        answer = await client.post(
            f"{shop.api}/payments",
            json={"date": TODAY.isoformat(), "method": "bank_transfer", **body},
            headers=shop.owner.headers,
        )
        assert answer.status_code == status, (why, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), why
    assert (await invoice(client, shop, bill["id"]))["state"] == "issued"
    listed = (
        await client.get(
            f"{shop.api}/payments", params={"customer_id": customer["id"]}, headers=shop.owner.headers
        )
    ).json()
    assert listed["items"] == []


async def test_an_idempotency_key_records_a_payment_once(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    bill = await issued(client, shop, customer["id"])
    body = {"invoice_id": bill["id"], "amount": "10.00"}
    first = await pay(client, shop, body, headers={"Idempotency-Key": "pay-1"})
    again = await pay(client, shop, body, headers={"Idempotency-Key": "pay-1"})
    assert again["id"] == first["id"]
    await pay(client, shop, {**body, "amount": "11.00"}, status=409, headers={"Idempotency-Key": "pay-1"})
    assert (await invoice(client, shop, bill["id"]))["amount_paid"] == "10.00"


async def test_payments_are_listed_newest_first_with_filters_and_a_cursor(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    other = await make_customer(client, shop, name="Other Buyer")
    made = []
    for days in (0, 10, 20, 30):
        made.append(
            await pay(
                client,
                shop,
                {
                    "customer_id": customer["id"],
                    "amount": f"{days + 1}.00",
                    "date": (TODAY - timedelta(days=days)).isoformat(),
                },
            )
        )
    await pay(client, shop, {"customer_id": other["id"], "amount": "99.00", "method": "cheque"})
    url = f"{shop.api}/payments"
    page = (
        await client.get(url, params={"customer_id": customer["id"], "limit": 3}, headers=shop.owner.headers)
    ).json()
    rest = (
        await client.get(
            url,
            params={"customer_id": customer["id"], "limit": 3, "cursor": page["next_cursor"]},
            headers=shop.owner.headers,
        )
    ).json()
    assert [p["id"] for p in page["items"] + rest["items"]] == [p["id"] for p in reversed(made)]
    assert rest["next_cursor"] is None
    window = (
        await client.get(
            url,
            params={
                "customer_id": customer["id"],
                "date_from": (TODAY - timedelta(days=25)).isoformat(),
                "date_to": (TODAY - timedelta(days=5)).isoformat(),
            },
            headers=shop.owner.headers,
        )
    ).json()
    assert sorted(p["amount"] for p in window["items"]) == ["11.00", "21.00"]
    cheques = (await client.get(url, params={"method": "cheque"}, headers=shop.owner.headers)).json()
    assert [p["amount"] for p in cheques["items"]] == ["99.00"]


async def test_the_customer_balance_shows_open_overdue_and_credit(client: Client, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    past = (TODAY - timedelta(days=45)).isoformat()
    overdue = await issued(
        client, shop, customer["id"], issue_date=past, due_date=(TODAY - timedelta(days=15)).isoformat()
    )
    await issued(client, shop, customer["id"])  # 24.00, not yet due
    await pay(client, shop, {"invoice_id": overdue["id"], "amount": "4.00"})  # 20.00 left, overdue
    voided = await issued(client, shop, customer["id"])
    await pay(client, shop, {"invoice_id": voided["id"], "amount": "24.00"})
    # Crediting a paid invoice leaves the whole credit note as the customer's credit.
    note = await client.post(
        f"{shop.api}/invoices/{voided['id']}/credit", json={}, headers=shop.owner.headers
    )
    assert note.status_code == 201, note.text
    await issued(client, shop, customer["id"], currency="CHF")
    answer = await client.get(f"{shop.api}/customers/{customer['id']}/balance", headers=shop.owner.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["balances"] == {
        "EUR": {"open_invoices": 2, "receivable": "44.00", "overdue": "20.00", "credit": "24.00"},
        "CHF": {"open_invoices": 1, "receivable": "24.00", "overdue": "0.00", "credit": "0.00"},
    }
    missing = await client.get(
        f"{shop.api}/customers/00000000-0000-4000-8000-000000000000/balance", headers=shop.owner.headers
    )
    assert missing.status_code == 404


async def test_a_member_sees_only_its_own_payments_and_balance(
    client: Client, shop: Coop, world: World
) -> None:
    mine = await make_customer(client, shop, name="Member Bakery")
    theirs = await make_customer(client, shop, name="Other Bakery")
    member = await world.join(shop, "member", party_id=uuid.UUID(mine["id"]))
    own = await pay(client, shop, {"customer_id": mine["id"], "amount": "5.00"})
    other = await pay(client, shop, {"customer_id": theirs["id"], "amount": "7.00"})
    listed = (await client.get(f"{shop.api}/payments", headers=member.headers)).json()
    assert [p["id"] for p in listed["items"]] == [own["id"]]
    assert (await client.get(f"{shop.api}/payments/{other['id']}", headers=member.headers)).status_code == 404
    assert (await client.get(f"{shop.api}/payments/{own['id']}", headers=member.headers)).status_code == 200
    balance = await client.get(f"{shop.api}/customers/{mine['id']}/balance", headers=member.headers)
    assert balance.json()["balances"]["EUR"]["credit"] == "5.00"
    assert (
        await client.get(f"{shop.api}/customers/{theirs['id']}/balance", headers=member.headers)
    ).status_code == 404
    refused = await client.post(
        f"{shop.api}/payments",
        json={"customer_id": mine["id"], "amount": "1.00", "date": TODAY.isoformat(), "method": "cash"},
        headers=member.headers,
    )
    assert refused.status_code == 403


async def test_concurrent_payments_never_settle_an_invoice_beyond_its_balance(
    app: Litestar, shop: Coop, database: Database
) -> None:
    async with same_loop_client(app) as parallel:
        customer = await make_customer(parallel, shop, name="Eager Payer", vat_id=None)
        bills = []
        for _ in range(2):
            draft = (
                await parallel.post(
                    f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
                )
            ).json()
            bills.append(
                (
                    await parallel.post(
                        f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers
                    )
                ).json()
            )
        split, direct = bills

        def body(bill: dict[str, Any], explicit: bool) -> dict[str, Any]:
            common = {"amount": "5.00", "date": TODAY.isoformat(), "method": "bank_transfer"}
            if explicit:
                return {
                    **common,
                    "customer_id": customer["id"],
                    "allocations": [{"invoice_id": bill["id"], "amount": "5.00"}],
                }
            return {**common, "invoice_id": bill["id"]}

        answers = await asyncio.gather(
            *(
                parallel.post(
                    f"{shop.api}/payments", json=body(bill, bill is split), headers=shop.owner.headers
                )
                for bill in (split, direct)
                for _ in range(8)
            )
        )
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    # 24.00 takes four payments of 5.00 in full; the fifth explicit one (5.00 > 4.00 left) is refused,
    # while for the invoice itself the fifth settles the last 4.00 and keeps 1.00 as credit.
    assert statuses[:8].count(201) == 4
    assert statuses[8:].count(201) == 5
    kept = [a.json()["unallocated"] for a in answers[8:] if a.status_code == 201]
    assert sorted(kept) == ["0.00", "0.00", "0.00", "0.00", "1.00"]
    async with database.session(write=False, tenant_id=shop.id) as session:
        for bill, paid in ((split, Decimal("20.00")), (direct, Decimal("24.00"))):
            allocated = await session.scalar(
                select(func.sum(Allocation.amount)).where(Allocation.invoice_id == uuid.UUID(bill["id"]))
            )
            assert allocated == paid
            document = await session.get_one(Document, (shop.id, uuid.UUID(bill["id"])))
            assert document.amount_settled == paid
            assert document.state == ("paid" if paid == Decimal("24.00") else "partially_paid")
