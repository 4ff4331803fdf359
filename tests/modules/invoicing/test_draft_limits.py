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
