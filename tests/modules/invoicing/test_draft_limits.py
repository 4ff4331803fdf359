"""What a draft may hold: payment terms in range, texts of a printable length, on create and on change."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer

Client = AsyncTestClient[Litestar]


async def draft_of(client: Client, shop: Coop) -> dict[str, object]:
    customer = await make_customer(client, shop)
    answer = await client.post(
        f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize("days", [-5, 366, 10**9])
async def test_payment_terms_out_of_range_are_refused_on_create_and_on_change(
    client: Client, shop: Coop, days: int
) -> None:
    customer = await make_customer(client, shop)
    created = await client.post(
        f"{shop.api}/invoices",
        json=invoice_body(customer["id"], payment_terms_days=days),
        headers=shop.owner.headers,
    )
    assert created.status_code == 422, created.text
    assert [e["field"] for e in created.json()["errors"]] == ["payment_terms_days"]

    draft = await draft_of(client, shop)
    changed = await client.patch(
        f"{shop.api}/invoices/{draft['id']}", json={"payment_terms_days": days}, headers=shop.owner.headers
    )
    assert changed.status_code == 422, changed.text
    assert [e["field"] for e in changed.json()["errors"]] == ["payment_terms_days"]
    issued = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200, issued.text
    assert issued.json()["due_date"] > issued.json()["issue_date"]


async def test_notes_longer_than_a_pdf_prints_are_refused_on_create_and_on_change(
    client: Client, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    long_notes = "Deliver to the back door. " * 400  # 10,400 characters
    created = await client.post(
        f"{shop.api}/invoices",
        json=invoice_body(customer["id"], notes=long_notes),
        headers=shop.owner.headers,
    )
    assert created.status_code == 422, created.text
    assert [e["field"] for e in created.json()["errors"]] == ["notes"]

    draft = await draft_of(client, shop)
    changed = await client.patch(
        f"{shop.api}/invoices/{draft['id']}", json={"notes": long_notes}, headers=shop.owner.headers
    )
    assert changed.status_code == 422, changed.text
    assert [e["field"] for e in changed.json()["errors"]] == ["notes"]


async def test_lines_with_more_text_than_thirty_pages_are_refused(client: Client, shop: Coop) -> None:
    draft = await draft_of(client, shop)
    essay = ("Organic vegetable box, seasonal selection, delivered weekly. " * 33)[:2000]
    lines = [{"description": essay, "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}] * 51
    changed = await client.patch(
        f"{shop.api}/invoices/{draft['id']}", json={"lines": lines}, headers=shop.owner.headers
    )
    assert changed.status_code == 422, changed.text[:300]
    assert [e["field"] for e in changed.json()["errors"]] == ["lines"]
    kept = await client.get(f"{shop.api}/invoices/{draft['id']}", headers=shop.owner.headers)
    assert len(kept.json()["lines"]) == 1
