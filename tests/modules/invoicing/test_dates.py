"""Dates out of any business range (a typed year 0226, 9999) are refused by name, never a 500: due
dates and report buckets are computed from them (a recurring plan's: test_recurring)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def test_dates_outside_the_business_range_are_refused_by_name(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    headers = shop.owner.headers
    for field, value in (
        ("issue_date", "9999-12-31"),
        ("due_date", "0001-01-01"),
        ("delivery_date", "0226-05-01"),
    ):
        answer = await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"], **{field: value}), headers=headers
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field
    listed = await client.get(f"{shop.api}/invoices", params={"customer_id": customer["id"]}, headers=headers)
    assert listed.json()["items"] == []  # nothing half-written

    draft = await client.post(f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=headers)
    changed = await client.patch(
        f"{shop.api}/invoices/{draft.json()['id']}", json={"issue_date": "9999-12-31"}, headers=headers
    )
    assert (changed.status_code, changed.json()["errors"][0]["field"]) == (422, "issue_date")
    issued = await client.post(f"{shop.api}/invoices/{draft.json()['id']}/issue", headers=headers)
    assert issued.status_code == 200, issued.text

    paid = await client.post(
        f"{shop.api}/payments",
        json={
            "invoice_id": draft.json()["id"],
            "amount": "1.00",
            "date": "0001-01-01",
            "method": "bank_transfer",
        },
        headers=headers,
    )
    assert (paid.status_code, paid.json()["errors"][0]["field"]) == (422, "date")

    aged = await client.get(
        f"{shop.api}/reports/aged-receivables", params={"on": "0001-01-01"}, headers=headers
    )
    assert (aged.status_code, aged.json()["errors"][0]["field"]) == (422, "on")
