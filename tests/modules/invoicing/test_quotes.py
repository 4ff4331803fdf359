"""Quotes: written like invoices, never issued, converted into a draft invoice once accepted."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def _quote(client: AsyncTestClient[Litestar], shop: Coop, customer_id: str) -> dict[str, object]:
    answer = await client.post(
        f"{shop.api}/invoices",
        headers=shop.owner.headers,
        json=invoice_body(
            customer_id,
            ("Website design", "3", "450.00", "20"),
            ("Hosting", "12", "9.90", "20"),
            kind="quote",
            buyer_reference="PO-77",
            order_reference="ORD-9",
            notes="Valid 30 days",
            adjustments=[{"amount": "50.00", "vat_rate": "20", "reason": "Loyalty"}],
        ),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_quote_converts_into_a_draft_invoice_with_the_same_content(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    quote = await _quote(client, shop, customer["id"])
    assert (quote["kind"], quote["state"], quote["number"]) == ("quote", "draft", None)

    refused = await client.post(f"{shop.api}/invoices/{quote['id']}/issue", headers=shop.owner.headers)
    assert refused.status_code == 409

    converted = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=shop.owner.headers)
    assert converted.status_code == 201, converted.text
    invoice = converted.json()
    assert (invoice["kind"], invoice["state"], invoice["number"]) == ("invoice", "draft", None)
    assert invoice["source_id"] == quote["id"]
    assert invoice["customer_id"] == customer["id"]
    assert (invoice["buyer_reference"], invoice["order_reference"], invoice["notes"]) == (
        "PO-77",
        "ORD-9",
        "Valid 30 days",
    )
    assert [(line["description"], line["quantity"], line["unit_price"]) for line in invoice["lines"]] == [
        ("Website design", "3", "450.00"),
        ("Hosting", "12", "9.90"),
    ]
    assert [a["amount"] for a in invoice["adjustments"]] == ["50.00"]
    assert (invoice["total_net"], invoice["total_gross"]) == (quote["total_net"], quote["total_gross"])

    year = invoice["quote"]["number"].split("-")[1]
    assert invoice["quote"]["state"] == "converted"
    assert invoice["quote"]["number"] == f"Q-{year}-00001"
    shown = (await client.get(f"{shop.api}/invoices/{quote['id']}", headers=shop.owner.headers)).json()
    assert (shown["state"], shown["number"]) == ("converted", f"Q-{year}-00001")

    issued = await client.post(f"{shop.api}/invoices/{invoice['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"] == f"INV-{year}-00001"


async def test_converting_twice_is_a_conflict_and_a_quote_cannot_change_after(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    quote = await _quote(client, shop, customer["id"])
    first = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=shop.owner.headers)
    assert first.status_code == 201
    again = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=shop.owner.headers)
    assert again.status_code == 409
    change = await client.patch(
        f"{shop.api}/invoices/{quote['id']}", json={"notes": "x"}, headers=shop.owner.headers
    )
    assert change.status_code == 409
    invoices = (
        await client.get(f"{shop.api}/invoices", params={"kind": "invoice"}, headers=shop.owner.headers)
    ).json()["items"]
    assert [i["id"] for i in invoices] == [first.json()["id"]]


async def test_quotes_are_numbered_in_their_own_gapless_series(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    quotes = [await _quote(client, shop, customer["id"]) for _ in range(3)]
    numbers = []
    for quote in (quotes[2], quotes[0]):  # the unaccepted one burns no number
        answer = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=shop.owner.headers)
        numbers.append(answer.json()["quote"]["number"])
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["00001", "00002"]
    listed = (
        await client.get(f"{shop.api}/invoices", params={"kind": "quote"}, headers=shop.owner.headers)
    ).json()["items"]
    assert sorted(q["state"] for q in listed) == ["converted", "converted", "draft"]


async def test_only_a_quote_converts_and_idempotency_replays(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    invoice = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    refused = await client.post(f"{shop.api}/invoices/{invoice['id']}/convert", headers=shop.owner.headers)
    assert refused.status_code == 409
    quote = await _quote(client, shop, customer["id"])
    headers = {**shop.owner.headers, "Idempotency-Key": "convert-1"}
    first = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=headers)
    second = await client.post(f"{shop.api}/invoices/{quote['id']}/convert", headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
