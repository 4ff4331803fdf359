"""What invoicing tells other modules: each event under its declared name, with its payload's fields."""

from __future__ import annotations

from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient

from modules.invoicing.events import (
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    PUBLISHED,
    DocumentIssued,
)
from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer, published


def test_every_published_event_is_declared_with_its_payload() -> None:
    names = {event.name for event in PUBLISHED}
    assert names == {"invoice.issued", "credit_note.issued", "invoice.paid", "payment.recorded"}


async def test_issuing_and_crediting_publish_the_issued_document(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    headers = shop.owner.headers
    draft = (
        await client.post(f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=headers)
    ).json()
    async with published(INVOICE_ISSUED.name) as invoices, published(CREDIT_NOTE_ISSUED.name) as credit_notes:
        issued = (await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=headers)).json()
        credit = await client.post(
            f"{shop.api}/invoices/{draft['id']}/credit", json={"reason": "returned"}, headers=headers
        )
        assert credit.status_code == 201, credit.text
    fields = set(DocumentIssued.__annotations__)
    assert [set(payload) for payload in invoices + credit_notes] == [fields, fields]
    assert [(p["number"], p["amount_due"]) for p in invoices] == [(issued["number"], Decimal("24.00"))]
    assert [p["number"] for p in credit_notes] == [credit.json()["number"]]
