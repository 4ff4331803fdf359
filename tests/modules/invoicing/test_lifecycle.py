"""Drafts, issue, immutability, credit notes: the life of an invoice through the API."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from core.db.engine import Database
from modules.invoicing.models import Document
from modules.invoicing.services.languages import LANGUAGES
from tests.conftest import Coop, World, same_loop_client
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def test_a_draft_has_totals_and_no_number(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop)
    answer = await client.post(
        f"{shop.api}/invoices",
        headers=shop.owner.headers,
        json=invoice_body(
            customer["id"], ("Vegetable boxes", "2", "10.00", "20"), ("Delivery", "1", "4.99", "5.5")
        ),
    )
    assert answer.status_code == 201, answer.text
    draft = answer.json()
    assert (draft["state"], draft["number"]) == ("draft", None)
    assert (draft["total_net"], draft["total_vat"], draft["total_gross"], draft["amount_due"]) == (
        "24.99",
        "4.27",
        "29.26",
        "29.26",
    )


async def test_issuing_gives_consecutive_numbers_and_freezes_the_invoice(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    numbers = []
    for _ in range(3):
        draft = (
            await client.post(
                f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
            )
        ).json()
        issued = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
        assert issued.status_code == 200, issued.text
        assert issued.json()["state"] == "issued"
        numbers.append(issued.json()["number"])
    year = numbers[0].split("-")[1]
    assert numbers == [f"INV-{year}-00001", f"INV-{year}-00002", f"INV-{year}-00003"]
    last = draft["id"]
    change = await client.patch(
        f"{shop.api}/invoices/{last}", json={"notes": "changed"}, headers=shop.owner.headers
    )
    assert change.status_code == 409
    assert change.json()["type"].endswith("/invoicing/document-frozen")
    assert (await client.delete(f"{shop.api}/invoices/{last}", headers=shop.owner.headers)).status_code == 409
    again = await client.post(f"{shop.api}/invoices/{last}/issue", headers=shop.owner.headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/invoicing/already-issued")
    assert again.json()["detail"] == f"{numbers[-1]} is already issued"
    assert (await client.get(f"{shop.api}/invoices/{last}", headers=shop.owner.headers)).json()["notes"] == ""


async def test_a_deleted_draft_burns_no_number(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop)
    doomed = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    assert (
        await client.delete(f"{shop.api}/invoices/{doomed['id']}", headers=shop.owner.headers)
    ).status_code == 204
    kept = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    issued = (await client.post(f"{shop.api}/invoices/{kept['id']}/issue", headers=shop.owner.headers)).json()
    assert issued["number"].endswith("-00001")


async def test_a_customer_without_a_country_cannot_be_invoiced_until_fixed(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    bare = (
        await client.post(
            f"{shop.api}/parties", json={"kind": "person", "name": "No Address"}, headers=shop.owner.headers
        )
    ).json()
    draft = (
        await client.post(f"{shop.api}/invoices", json=invoice_body(bare["id"]), headers=shop.owner.headers)
    ).json()
    refused = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert refused.status_code == 422
    assert "BR-11" in refused.text
    assert (await client.get(f"{shop.api}/invoices/{draft['id']}", headers=shop.owner.headers)).json()[
        "number"
    ] is None
    await client.patch(
        f"{shop.api}/parties/{bare['id']}",
        json={"address": {"country": "BE", "city": "Gent"}},
        headers=shop.owner.headers,
    )
    issued = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200
    assert issued.json()["number"].endswith("-00001")


async def test_one_call_creates_and_issues_or_stores_nothing(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    body = invoice_body(customer["id"], ("Seed potatoes", "40", "1.85", "10"), issue=True)
    answer = await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert (issued["state"], issued["total_gross"]) == ("issued", "81.40")
    assert issued["number"].endswith("-00001")
    assert [line["description"] for line in issued["lines"]] == ["Seed potatoes"]
    xml = await client.get(f"{shop.api}/invoices/{issued['id']}/facturx.xml", headers=shop.owner.headers)
    assert xml.status_code == 200 and issued["number"] in xml.text

    # A customer that cannot be invoiced yet: refused as issuing a draft is, and no draft is left over.
    bare = (
        await client.post(
            f"{shop.api}/parties", json={"kind": "person", "name": "No Address"}, headers=shop.owner.headers
        )
    ).json()
    refused = await client.post(
        f"{shop.api}/invoices", json=invoice_body(bare["id"], issue=True), headers=shop.owner.headers
    )
    assert refused.status_code == 422 and "BR-11" in refused.text
    quote = await client.post(
        f"{shop.api}/invoices",
        json=invoice_body(customer["id"], kind="quote", issue=True),
        headers=shop.owner.headers,
    )
    assert quote.status_code == 422 and "issue" in quote.text
    listed = (
        await client.get(f"{shop.api}/invoices", params={"kind": ""}, headers=shop.owner.headers)
    ).json()["items"]
    assert [(d["state"], d["number"]) for d in listed] == [("issued", issued["number"])]
    again = await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)
    assert again.json()["number"].endswith("-00002")  # the refused call burnt no number


async def test_bad_lines_are_refused_with_the_field_named(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    cases = [
        ({"description": "x", "quantity": "1", "unit_price": 10.5, "vat_rate": "20"}, None),
        ({"description": "x", "quantity": "1", "unit_price": "abc", "vat_rate": "20"}, "lines[0].unit_price"),
        ({"description": "x", "quantity": "1", "unit_price": "-3", "vat_rate": "20"}, "lines[0]"),
        (
            {"description": "x", "quantity": "1", "unit_price": "1.123456", "vat_rate": "20"},
            "lines[0].unit_price",
        ),
        ({"description": "", "quantity": "1", "unit_price": "1", "vat_rate": "20"}, "lines[0].description"),
    ]
    for line, field in cases:
        answer = await client.post(
            f"{shop.api}/invoices",
            headers=shop.owner.headers,
            json={"customer_id": customer["id"], "lines": [line]},
        )
        assert answer.status_code in (400, 422), (line, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        if field:
            assert any(e["field"].startswith(field) for e in answer.json()["errors"]), answer.text
    listing = await client.get(f"{shop.api}/invoices", params={"state": "draft"}, headers=shop.owner.headers)
    assert listing.json()["items"] == []


async def test_a_full_credit_note_voids_the_invoice(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop)
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    invoice = (
        await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    ).json()
    credit = await client.post(
        f"{shop.api}/invoices/{invoice['id']}/credit",
        json={"reason": "Wrong customer"},
        headers=shop.owner.headers,
    )
    assert credit.status_code == 201, credit.text
    note = credit.json()
    assert note["kind"] == "credit_note" and note["state"] != "draft"
    assert note["number"].startswith("CN-") and note["credited_id"] == invoice["id"]
    assert note["total_gross"] == invoice["total_gross"]
    after = (await client.get(f"{shop.api}/invoices/{invoice['id']}", headers=shop.owner.headers)).json()
    assert (after["state"], after["balance"]) == ("paid", "0.00")
    twice = await client.post(
        f"{shop.api}/invoices/{invoice['id']}/credit", json={}, headers=shop.owner.headers
    )
    assert twice.status_code == 409


async def test_a_partial_credit_note_lowers_the_balance(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    invoice = (
        await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    ).json()
    partial = {
        "lines": [
            {"description": "One box was damaged", "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}
        ]
    }
    note = await client.post(
        f"{shop.api}/invoices/{invoice['id']}/credit", json=partial, headers=shop.owner.headers
    )
    assert note.status_code == 201, note.text
    after = (await client.get(f"{shop.api}/invoices/{invoice['id']}", headers=shop.owner.headers)).json()
    assert (after["state"], after["total_gross"], after["balance"]) == ("partially_paid", "24.00", "12.00")


async def test_concurrent_issues_give_gapless_numbers(app: Litestar, shop: Coop) -> None:
    async with same_loop_client(app) as parallel:
        customer = await make_customer(parallel, shop, name="Busy Buyer", vat_id=None)
        drafts = [
            (
                await parallel.post(
                    f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
                )
            ).json()["id"]
            for _ in range(12)
        ]
        answers = await asyncio.gather(
            *(parallel.post(f"{shop.api}/invoices/{d}/issue", headers=shop.owner.headers) for d in drafts)
        )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    numbers = sorted(int(a.json()["number"].rsplit("-", 1)[1]) for a in answers)
    assert numbers == list(range(1, 13))


async def test_the_module_is_invisible_where_it_is_off(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    plain = await world.coop()
    answer = await client.get(f"{plain.api}/invoices", headers=plain.owner.headers)
    assert answer.status_code == 404


async def test_a_member_sees_only_its_own_issued_invoices(
    client: AsyncTestClient[Litestar], world: World, shop: Coop
) -> None:
    mine = await make_customer(client, shop, name="Member Business")
    other = await make_customer(client, shop, name="Someone Else")
    ids = {}
    for customer in (mine, other):
        draft = (
            await client.post(
                f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
            )
        ).json()
        await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
        ids[customer["name"]] = draft["id"]
    hidden_draft = (
        await client.post(f"{shop.api}/invoices", json=invoice_body(mine["id"]), headers=shop.owner.headers)
    ).json()
    import uuid

    member = await world.join(shop, "member", party_id=uuid.UUID(mine["id"]))
    listing = (await client.get(f"{shop.api}/invoices", headers=member.headers)).json()
    assert [i["id"] for i in listing["items"]] == [ids["Member Business"]]
    assert (
        await client.get(f"{shop.api}/invoices/{ids['Someone Else']}", headers=member.headers)
    ).status_code == 404
    assert (
        await client.get(f"{shop.api}/invoices/{hidden_draft['id']}", headers=member.headers)
    ).status_code == 404
    refused = await client.post(f"{shop.api}/invoices", json=invoice_body(mine["id"]), headers=member.headers)
    assert refused.status_code == 403


async def test_the_list_walks_every_invoice_once_even_when_they_share_a_creation_time(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    created = []
    for _ in range(7):
        answer = await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
        created.append(answer.json()["id"])
    async with database.transaction(tenant_id=shop.id) as session:  # an import: one timestamp for all
        await session.execute(update(Document).values(created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{shop.api}/invoices", params=params, headers=shop.owner.headers)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # ties are ordered by id, newest first


async def test_one_draft_issued_twice_at_once_gets_one_number_and_burns_none(
    app: Litestar, shop: Coop
) -> None:
    async with same_loop_client(app) as parallel:
        customer = await make_customer(parallel, shop, name="Busy Buyer", vat_id=None)
        body = invoice_body(customer["id"])
        draft = (await parallel.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)).json()
        answers = await asyncio.gather(
            *(
                parallel.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
                for _ in range(6)
            )
        )
        credits = await asyncio.gather(
            *(
                parallel.post(
                    f"{shop.api}/invoices/{draft['id']}/credit", json={}, headers=shop.owner.headers
                )
                for _ in range(4)
            )
        )
        following = await parallel.post(
            f"{shop.api}/invoices", json={**body, "issue": True}, headers=shop.owner.headers
        )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409]
    number = next(a.json()["number"] for a in answers if a.status_code == 200)
    assert number.endswith("-00001")
    assert following.json()["number"].endswith("-00002")  # no number was taken and lost
    # A full credit of the whole invoice, asked four times at once: one credit note, three refusals.
    assert sorted(c.status_code for c in credits) == [201, 409, 409, 409], [c.text for c in credits]


async def test_a_forged_cursor_is_refused_not_a_server_error(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    def forged(*values: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")

    some_id = "0b5bd5a5-3a0e-4c1c-8d1c-3c1d2b1a0f00"
    for cursor in (
        "not-a-cursor",
        forged("2026-03-01T09:00:00", some_id),  # a time without its zone
        forged("2026-03-01T09:00:00+00:00", "not-a-uuid"),
        forged(12, some_id),
        forged("2026-03-01T09:00:00+00:00"),
    ):
        answer = await client.get(
            f"{shop.api}/invoices", params={"cursor": cursor}, headers=shop.owner.headers
        )
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_stored_draft_reads_back_and_issues_with_its_lines_and_adjustments_in_order(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    """Lines and document-level allowances and charges come back as written, each in its own order,
    and issuing the stored draft (a request of its own) freezes the same totals."""
    customer = await make_customer(client, shop)
    body = invoice_body(
        customer["id"],
        ("Seed potatoes", "12.5", "1.9990", "5.5"),
        ("Delivery round", "1", "35.00", "20"),
        ("Returned crates", "-2", "4.00", "20"),
    )
    body["lines"][0]["discount"] = "-0"  # read back as 0: the answer must not say "-0.00" either
    body["lines"][1]["discount"] = "5.00"
    body["lines"][2]["unit"] = "XCR"
    body["adjustments"] = [
        {"amount": "3.00", "vat_rate": "5.5", "reason": "Member discount"},
        {"amount": "7.50", "vat_rate": "20", "is_charge": True, "reason": "Packaging"},
        {"amount": "1.25", "vat_rate": "20", "reason": "Early order"},
    ]
    draft = await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)
    assert draft.status_code == 201, draft.text
    stored = (
        await client.get(f"{shop.api}/invoices/{draft.json()['id']}", headers=shop.owner.headers)
    ).json()
    assert [(line["position"], line["description"], line["unit"]) for line in stored["lines"]] == [
        (1, "Seed potatoes", "C62"),
        (2, "Delivery round", "C62"),
        (3, "Returned crates", "XCR"),
    ]
    assert [(line["quantity"], line["vat_rate"]) for line in stored["lines"]] == [
        ("12.5", "5.5"),
        ("1", "20"),
        ("-2", "20"),
    ]  # as people write them: never "2E+1"
    assert [a["vat_rate"] for a in stored["adjustments"]] == ["5.5", "20", "20"]
    assert [(line["unit_price"], line["discount"]) for line in stored["lines"]] == [
        ("1.999", "0.00"),
        ("35.00", "5.00"),
        ("4.00", "0.00"),
    ]
    assert [line["net_amount"] for line in stored["lines"]] == ["24.99", "30.00", "-8.00"]
    assert [(a["position"], a["is_charge"], a["amount"], a["reason"]) for a in stored["adjustments"]] == [
        (1, False, "3.00", "Member discount"),
        (2, True, "7.50", "Packaging"),
        (3, False, "1.25", "Early order"),
    ]
    assert stored["lines"] == draft.json()["lines"] and stored["adjustments"] == draft.json()["adjustments"]
    issued = await client.post(f"{shop.api}/invoices/{stored['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 200, issued.text
    totals = ("total_lines", "total_allowances", "total_charges", "total_net", "total_vat", "total_gross")
    assert [issued.json()[t] for t in totals] == [stored[t] for t in totals]
    assert [stored[t] for t in totals[:4]] == ["46.99", "4.25", "7.50", "50.24"]


async def test_a_draft_is_written_in_english_or_a_language_with_a_catalog(
    client: AsyncTestClient[Litestar], shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    sixth = "nl"
    assert sixth not in LANGUAGES  # no Dutch catalog today: a sixth language is refused until one comes

    refused = await client.post(
        f"{shop.api}/invoices", json=invoice_body(customer["id"], language=sixth), headers=shop.owner.headers
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["language"]

    french = await client.post(
        f"{shop.api}/invoices", json=invoice_body(customer["id"], language="fr"), headers=shop.owner.headers
    )
    assert french.status_code == 201 and french.json()["language"] == "fr"
    changed = await client.patch(
        f"{shop.api}/invoices/{french.json()['id']}", json={"language": sixth}, headers=shop.owner.headers
    )
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "language"

    schema = (await client.get("/schema/openapi.json")).json()
    described = json.dumps(schema["components"]["schemas"])
    assert f"a language invoicing has a message catalog for, today {', '.join(LANGUAGES)}" in described
