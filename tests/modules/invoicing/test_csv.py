"""CSV: invoices and lines out for the accountant, customers in from a spreadsheet."""

from __future__ import annotations

import csv
import io

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body, make_customer


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def _issued(
    client: AsyncTestClient[Litestar],
    shop: Coop,
    customer_id: str,
    *lines: tuple[str, str, str, str],
    **extra: object,
) -> dict[str, object]:
    draft = (
        await client.post(
            f"{shop.api}/invoices",
            json=invoice_body(customer_id, *lines, **extra),
            headers=shop.owner.headers,
        )
    ).json()
    issued = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200, issued.text
    return issued.json()


async def test_invoices_and_lines_export(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop, name="=Café Müller")
    first = await _issued(
        client,
        shop,
        customer["id"],
        ("Boxes", "2", "10.00", "20"),
        ("-Delivery", "1.5", "4.9900", "5.5"),
        issue_date="2026-01-15",
    )
    await _issued(client, shop, customer["id"], issue_date="2026-03-01")
    await client.post(f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers)

    answer = await client.get(
        f"{shop.api}/exports/invoices.csv",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        headers=shop.owner.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    text = answer.content.decode("utf-8")
    assert text.splitlines()[0] == (
        "number,kind,state,issue_date,due_date,customer,customer_vat_id,currency,net,vat,gross,paid,balance"
    )
    rows = _rows(text)
    assert rows == [
        {
            "number": first["number"],
            "kind": "invoice",
            "state": "issued",
            "issue_date": "2026-01-15",
            "due_date": "2026-02-14",
            "customer": "'=Café Müller",
            "customer_vat_id": "FR40303265045",
            "currency": "EUR",
            "net": "27.49",
            "vat": "4.41",
            "gross": "31.90",
            "paid": "0.00",
            "balance": "31.90",
        }
    ]
    everything = _rows(
        (await client.get(f"{shop.api}/exports/invoices.csv", headers=shop.owner.headers)).content.decode()
    )
    assert [r["issue_date"] for r in everything] == ["2026-01-15", "2026-03-01"]
    with_drafts = _rows(
        (
            await client.get(
                f"{shop.api}/exports/invoices.csv", params={"drafts": "true"}, headers=shop.owner.headers
            )
        ).content.decode()
    )
    assert len(with_drafts) == 3

    lines = _rows(
        (
            await client.get(
                f"{shop.api}/exports/lines.csv", params={"to": "2026-01-31"}, headers=shop.owner.headers
            )
        ).content.decode()
    )
    assert [
        (
            r["number"],
            r["position"],
            r["description"],
            r["quantity"],
            r["unit_price"],
            r["vat_rate"],
            r["net"],
        )
        for r in lines
    ] == [
        (first["number"], "1", "Boxes", "2", "10", "20", "20.00"),
        (first["number"], "2", "'-Delivery", "1.5", "4.99", "5.5", "7.49"),
    ]


async def test_exports_need_the_view_permission(
    client: AsyncTestClient[Litestar], shop: Coop, world: World
) -> None:
    member = await world.join(shop, "member")
    answer = await client.get(f"{shop.api}/exports/invoices.csv", headers=member.headers)
    assert answer.status_code == 403


CUSTOMERS = """name,kind,email,vat_id,company_id,line1,line2,postcode,city,region,country,locale
Boulangerie Dupont,organisation,contact@dupont.example,FR40303265045,,1 rue du Pain,,75001,Paris,,FR,fr
Müller GmbH,,info@mueller.example,,,Hauptstraße 5,,10115,Berlin,,DE,de
Ana García,person,ana@example.es,,,,,,Madrid,,ES,es
"""


async def test_customers_import_as_a_file_and_skip_the_ones_that_exist(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    await make_customer(client, shop, name="Existing Co", vat_id="FR40303265045")
    headers = {**shop.owner.headers, "Idempotency-Key": "import-1"}
    answer = await client.post(
        f"{shop.api}/imports/customers",
        files={"file": ("customers.csv", CUSTOMERS.encode("utf-8"), "text/csv")},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    changed = await client.post(
        f"{shop.api}/imports/customers",
        content=CUSTOMERS.encode("utf-8"),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert changed.status_code == 409  # the same key with another request body
    result = answer.json()
    assert result["created"] == 2
    assert result["skipped"] == [
        {"row": 2, "name": "Boulangerie Dupont", "reason": "a customer with VAT id FR40303265045 exists"}
    ]
    parties = (
        await client.get(f"{shop.api}/parties", params={"q": "Müller"}, headers=shop.owner.headers)
    ).json()["items"]
    assert [(p["name"], p["kind"], p["address"]["city"]) for p in parties] == [
        ("Müller GmbH", "organisation", "Berlin")
    ]

    again_headers = {**shop.owner.headers, "Content-Type": "text/csv", "Idempotency-Key": "import-2"}
    again = await client.post(
        f"{shop.api}/imports/customers", content=CUSTOMERS.encode(), headers=again_headers
    )
    assert again.status_code == 200, again.text
    assert again.json()["created"] == 0
    assert [s["row"] for s in again.json()["skipped"]] == [2, 3, 4]
    replayed = await client.post(
        f"{shop.api}/imports/customers", content=CUSTOMERS.encode(), headers=again_headers
    )
    assert replayed.headers.get("idempotency-replayed") == "true"
    assert replayed.json() == again.json()


async def test_one_bad_row_imports_nothing_and_names_every_bad_field(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    text = (
        "\ufeffname;email;vat_id;country\n"
        "Good One;good@example.test;;FR\n"
        "Bad VAT;bad@example.test;FR00000000000;FR\n"
        ";nobody@example.test;;FR\n"
        "Bad Country;x@example.test;;XX\n"
    )
    answer = await client.post(
        f"{shop.api}/imports/customers",
        content=text.encode("utf-8"),
        headers={**shop.owner.headers, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        ("3", "vat_id"),
        ("4", "name"),
        ("5", "address.country"),
    ]
    found = (
        await client.get(f"{shop.api}/parties", params={"q": "Good One"}, headers=shop.owner.headers)
    ).json()["items"]
    assert found == []


async def test_import_refuses_unknown_columns_and_other_content(
    client: AsyncTestClient[Litestar], shop: Coop, world: World
) -> None:
    unknown = await client.post(
        f"{shop.api}/imports/customers",
        content=b"name,fax\nA,1\n",
        headers={**shop.owner.headers, "Content-Type": "text/csv"},
    )
    assert unknown.status_code == 422
    assert "fax" in unknown.json()["detail"]
    latin1 = await client.post(
        f"{shop.api}/imports/customers",
        content="name\nCaf\xe9\n".encode("latin-1"),
        headers={**shop.owner.headers, "Content-Type": "text/csv"},
    )
    assert latin1.status_code == 422
    json_body = await client.post(
        f"{shop.api}/imports/customers", json={"name": "x"}, headers=shop.owner.headers
    )
    assert json_body.status_code == 422
    bookkeeper = await world.join(shop, "bookkeeper")
    denied = await client.post(
        f"{shop.api}/imports/customers",
        content=b"name\nA\n",
        headers={**bookkeeper.headers, "Content-Type": "text/csv"},
    )
    assert denied.status_code == 403
