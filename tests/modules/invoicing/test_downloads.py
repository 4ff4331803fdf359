"""What a bookkeeper downloads: the PDF (Factur-X once issued), the CII and UBL XML."""

from __future__ import annotations

import io
from typing import Any

import anyio
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from sqlalchemy import select

from core.app import create_app
from core.cli import main
from core.db.engine import Database
from core.registry import ModuleRegistry
from core.settings import Settings
from modules.invoicing.models import Document
from modules.invoicing.services.einvoice import check_cii, check_ubl, cii_rule_errors, ubl_rule_errors
from tests.conftest import Coop, replace, same_loop_client
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def test_an_issued_invoice_downloads_as_the_same_factur_x_pdf_every_time(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop, locale="fr")
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    preview = await client.get(f"{shop.api}/invoices/{draft['id']}/pdf", headers=shop.owner.headers)
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    assert not PdfReader(io.BytesIO(preview.content)).attachments
    issued = (
        await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    ).json()
    first = await client.get(f"{shop.api}/invoices/{draft['id']}/pdf", headers=shop.owner.headers)
    second = await client.get(f"{shop.api}/invoices/{draft['id']}/pdf", headers=shop.owner.headers)
    assert first.headers["content-type"] == "application/pdf"
    assert first.content == second.content
    reader = PdfReader(io.BytesIO(first.content))
    assert issued["number"] in reader.pages[0].extract_text()
    xml = await client.get(f"{shop.api}/invoices/{draft['id']}/facturx.xml", headers=shop.owner.headers)
    assert reader.attachments["factur-x.xml"] == [xml.content]
    assert check_cii(xml.content) == [] and cii_rule_errors(xml.content) == []
    ubl = await client.get(f"{shop.api}/invoices/{draft['id']}/ubl.xml", headers=shop.owner.headers)
    assert ubl.status_code == 200 and check_ubl(ubl.content) == [] and ubl_rule_errors(ubl.content) == []
    assert issued["number"].encode() in ubl.content


async def test_a_drafts_xml_is_refused_until_issued(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop)
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    answer = await client.get(f"{shop.api}/invoices/{draft['id']}/facturx.xml", headers=shop.owner.headers)
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_an_intra_community_supply_names_its_delivery_date_and_country(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop, name="Fahrrad eG", country="DE", vat_id="DE136695976")
    body = invoice_body(customer["id"])
    body["lines"] = [
        {
            "description": "Bicycle frames",
            "quantity": "4",
            "unit_price": "120.00",
            "vat_rate": "0",
            "vat_category": "K",
        }
    ]
    body["delivery_date"] = "2026-11-20"
    draft = (await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)).json()
    issued = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200, issued.text
    assert issued.json()["total_vat"] == "0.00"
    cii = (
        await client.get(f"{shop.api}/invoices/{draft['id']}/facturx.xml", headers=shop.owner.headers)
    ).content
    ubl = (await client.get(f"{shop.api}/invoices/{draft['id']}/ubl.xml", headers=shop.owner.headers)).content
    assert check_cii(cii) == [] and check_ubl(ubl) == []
    assert cii_rule_errors(cii) == [] and ubl_rule_errors(ubl) == []  # BR-IC-11, BR-IC-12 among them
    assert b"20261120" in cii and b"<ram:CountryID>DE</ram:CountryID>" in cii  # BT-72, BT-80
    assert b"<cbc:ActualDeliveryDate>2026-11-20</cbc:ActualDeliveryDate>" in ubl


async def test_an_intra_community_charge_alone_also_names_the_delivery(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    """BR-IC-11/12 follow the VAT breakdown: a K charge on a zero-rated invoice needs them too."""
    customer = await make_customer(client, shop, name="Fahrrad eG", country="DE", vat_id="DE136695976")
    body = invoice_body(customer["id"], ("Printed manuals", "10", "4.00", "0"), issue=True)
    body["lines"][0]["vat_category"] = "Z"
    body["adjustments"] = [
        {"amount": "30.00", "vat_rate": "0", "vat_category": "K", "is_charge": True, "reason": "Transport"}
    ]
    issued = await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)
    assert issued.status_code == 201, issued.text
    invoice_id = issued.json()["id"]
    cii = (
        await client.get(f"{shop.api}/invoices/{invoice_id}/facturx.xml", headers=shop.owner.headers)
    ).content
    ubl = (await client.get(f"{shop.api}/invoices/{invoice_id}/ubl.xml", headers=shop.owner.headers)).content
    assert cii_rule_errors(cii) == [] and ubl_rule_errors(ubl) == []
    assert b"<ram:CountryID>DE</ram:CountryID>" in cii and b"cbc:ActualDeliveryDate" in ubl


async def test_the_conformance_command_rechecks_every_issued_einvoice(
    client: AsyncTestClient[Litestar], shop: Coop, settings: Settings, database: Database
) -> None:
    customer = await make_customer(client, shop, name="Fahrrad eG", country="DE", vat_id="DE136695976")
    for category in ("S", "K"):
        body = invoice_body(
            customer["id"], ("Bicycle frames", "4", "120.00", "20" if category == "S" else "0")
        )
        body["lines"][0]["vat_category"] = category
        answer = await client.post(
            f"{shop.api}/invoices", json={**body, "issue": True}, headers=shop.owner.headers
        )
        assert answer.status_code == 201, answer.text
    env = {"COOPSTACK_DATABASE_URL": settings.database_url}

    def invoke() -> Any:
        return CliRunner().invoke(main, ["invoicing", "check-einvoices", "--tenant", shop.slug], env=env)

    clean = await anyio.to_thread.run_sync(invoke)
    assert clean.exit_code == 0, clean.output
    assert f"{shop.slug}: 2 checked, 0 failing" in clean.output

    # An invoice frozen without its delivery details (as an older release could have issued it).
    async with database.transaction(tenant_id=shop.id) as session:
        document = (await session.scalars(select(Document).where(Document.number.like("%00002")))).one()
        document.snapshot = {**document.snapshot, "delivery_date": None, "deliver_to_country": None}
    failing = await anyio.to_thread.run_sync(invoke)
    assert failing.exit_code == 1
    assert f"{shop.slug}: 2 checked, 1 failing" in failing.output
    assert f"{document.number}\tCII\t[BR-IC-11]" in failing.output
    assert f"{document.number}\tUBL\t[BR-IC-12]" in failing.output

    async with database.transaction(tenant_id=shop.id) as session:  # damaged beyond reading
        document = (await session.scalars(select(Document).where(Document.number.like("%00001")))).one()
        document.snapshot = {"kind": "invoice"}
    damaged = await anyio.to_thread.run_sync(invoke)
    assert f"{shop.slug}: 2 checked, 2 failing" in damaged.output
    assert f"{document.number}\tsnapshot\tcannot be read" in damaged.output


async def test_a_first_download_needs_only_one_free_connection(
    settings: Settings, registry: ModuleRegistry, shop: Coop
) -> None:
    """Storing the first rendering of an issued PDF takes a connection of its own; the request gives
    its own back first, so with one connection free the download succeeds instead of waiting for a
    second one that a burst of first downloads would all be holding."""
    app = create_app(replace(settings, database_wait_seconds=0.5), registry)
    database = app.state.db
    async with same_loop_client(app) as client:  # the app on the loop of the connections held here
        customer = await make_customer(client, shop)
        issued = await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"], issue=True), headers=shop.owner.headers
        )
        assert issued.status_code == 201, issued.text
        capacity = 16 if database.is_sqlite else 20  # the reading pool: 8 + 8 on SQLite, 10 + 10 here
        held = [await database.read_engine.connect() for _ in range(capacity - 1)]
        try:
            answer = await client.get(
                f"{shop.api}/invoices/{issued.json()['id']}/pdf", headers=shop.owner.headers
            )
        finally:
            for connection in held:
                await connection.close()
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert PdfReader(io.BytesIO(answer.content)).attachments  # the stored Factur-X file
