"""Text no e-invoice can carry (control characters) is refused where people type it, by field; text
stored before that rule still gives well-formed e-invoices and PDFs instead of a 500."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import update

from core.db.engine import Database
from core.models import Party
from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def test_control_characters_are_refused_by_field(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    headers = shop.owner.headers
    named = await client.post(
        f"{shop.api}/parties", json={"kind": "organisation", "name": "Bad\x01Name"}, headers=headers
    )
    assert (named.status_code, named.json()["errors"][0]["field"]) == (422, "name")
    addressed = await client.post(
        f"{shop.api}/parties",
        json={"kind": "organisation", "name": "Fine", "address": {"line1": "1\x0b Street", "country": "FR"}},
        headers=headers,
    )
    assert (addressed.status_code, addressed.json()["errors"][0]["field"]) == (422, "address.line1")
    seller = await client.patch(shop.api, json={"legal_name": "Co-op\x00 SCIC"}, headers=headers)
    assert (seller.status_code, seller.json()["errors"][0]["field"]) == (422, "legal_name")

    customer = await make_customer(client, shop)
    for body, field in (
        (invoice_body(customer["id"], ("Crates\x1b", "1", "10.00", "20")), "lines[0].description"),
        (invoice_body(customer["id"], notes="see\x07below"), "notes"),
        (invoice_body(customer["id"], buyer_reference="PO\x0c42"), "buyer_reference"),
    ):
        answer = await client.post(f"{shop.api}/invoices", json=body, headers=headers)
        assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, field)
    # Names are one line; notes and a line's description may have several.
    broken = await client.patch(shop.api, json={"legal_name": "Co-op\nSCIC"}, headers=headers)
    assert (broken.status_code, broken.json()["errors"][0]["field"]) == (422, "legal_name")
    body = invoice_body(customer["id"], ("Crates\nfor March", "1", "10.00", "20"), notes="one\n\ttwo")
    fine = await client.post(f"{shop.api}/invoices", json=body, headers=headers)
    assert fine.status_code == 201, fine.text
    assert fine.json()["notes"] == "one\n\ttwo"


async def test_text_stored_before_the_rule_still_gives_e_invoices(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop, name="Green Grocers SCOP")
    async with database.transaction(tenant_id=shop.id) as session:
        await session.execute(
            update(Party)
            .where(Party.id == uuid.UUID(customer["id"]))
            .values(name="Green\x0b Grocers\x01 SCOP")
        )
    headers = shop.owner.headers
    created = await client.post(
        f"{shop.api}/invoices", json={**invoice_body(customer["id"]), "issue": True}, headers=headers
    )
    assert created.status_code == 201, created.text
    url = f"{shop.api}/invoices/{created.json()['id']}"
    for kind, path in (("cii", "facturx.xml"), ("ubl", "ubl.xml")):
        answer = await client.get(f"{url}/{path}", headers=headers)
        assert answer.status_code == 200, (kind, answer.text)
        assert b"Green Grocers SCOP" in answer.content
        etree.fromstring(answer.content)  # well-formed
    pdf = await client.get(f"{url}/pdf", headers=headers)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
