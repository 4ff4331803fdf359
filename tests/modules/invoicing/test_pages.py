"""The invoicing pages as a bookkeeper and a member meet them: the list and its filters, the editor's
live totals and validation, issuing, payments and credit notes from an invoice's page, a customer's
account, and a member who sees only its own invoices. Forms are posted the way a browser does."""

from __future__ import annotations

import re
import socket
import uuid
from typing import Any

import httpx
from aiosmtpd.controller import Controller as SmtpController
from aiosmtpd.smtp import SMTP, Envelope, Session
from babel import Locale
from litestar import Litestar
from litestar.testing import AsyncTestClient

from modules.invoicing.services.languages import LANGUAGES
from tests.conftest import Coop, Person, World
from tests.modules.invoicing.conftest import invoice_body, make_customer
from tests.pages import log_in, submit, text_of

Client = AsyncTestClient[Litestar]


async def htmx(client: Client, url: str, fields: dict[str, str]) -> httpx.Response:
    """POST a form the way htmx does: the token in a header, the request marked as htmx's."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return await client.post(
        url, data=fields, headers={"hx-request": "true", "x-csrftoken": client.cookies["csrftoken"]}
    )


def line_fields(*lines: tuple[str, str, str, str], **extra: str) -> dict[str, str]:
    """Editor fields for lines given as (description, quantity, unit_price, vat_rate)."""
    fields: dict[str, str] = {"currency": "EUR", **extra}
    for i, (description, quantity, price, rate) in enumerate(lines):
        fields |= {
            f"lines[{i}].description": description,
            f"lines[{i}].quantity": quantity,
            f"lines[{i}].unit": "C62",
            f"lines[{i}].unit_price": price,
            f"lines[{i}].discount": "",
            f"lines[{i}].vat_category": "S",
            f"lines[{i}].vat_rate": rate,
        }
    return fields


async def draft(
    client: Client, coop: Coop, customer_id: str, *lines: tuple[str, str, str, str]
) -> dict[str, Any]:
    answer = await client.post(
        f"{coop.api}/invoices", json=invoice_body(customer_id, *lines), headers=coop.owner.headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def issued(
    client: Client, coop: Coop, customer_id: str, *lines: tuple[str, str, str, str]
) -> dict[str, Any]:
    document = await draft(client, coop, customer_id, *lines)
    answer = await client.post(f"{coop.api}/invoices/{document['id']}/issue", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def bookkeeper(client: Client, world: World, coop: Coop) -> Person:
    person = await world.join(coop, "bookkeeper")
    await log_in(client, person)
    return person


async def test_the_list_shows_an_issued_invoice_with_its_number_total_and_the_totals(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    invoice = await issued(client, shop, customer["id"])
    await draft(client, shop, customer["id"], ("Apples", "3", "5.00", "5.5"))
    await bookkeeper(client, world, shop)

    page = await client.get(f"/t/{shop.slug}/invoices")
    assert page.status_code == 200
    text = text_of(page)
    assert invoice["number"] in text
    assert "€24.00" in text
    assert f'href="/t/{shop.slug}/invoices/{invoice["id"]}"' in page.text
    assert "2 documents" in text  # the totals of the filtered set: the issued invoice and the draft
    assert "€15.83" in text  # 24.00 + 15.83 is the total of both; the open balance counts the issued one
    assert "New invoice" in text
    assert 'aria-current="page"' in page.text


async def test_the_list_filters_by_state_number_and_customer(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    other = await make_customer(client, shop, name="Harbour Fishers")
    invoice = await issued(client, shop, customer["id"])
    other_invoice = await issued(client, shop, other["id"], ("Nets", "1", "100.00", "20"))
    await draft(client, shop, customer["id"], ("Pears", "1", "7.00", "20"))
    await bookkeeper(client, world, shop)
    base = f"/t/{shop.slug}/invoices"

    drafts = text_of(await client.get(f"{base}?state=draft"))
    assert invoice["number"] not in drafts and "Draft" in drafts and "1 document" in drafts
    open_ones = text_of(await client.get(f"{base}?state=issued"))
    assert invoice["number"] in open_ones and other_invoice["number"] in open_ones
    assert "no number yet" not in open_ones
    assert "2 documents" in open_ones and "€144.00" in open_ones

    by_customer = text_of(await client.get(f"{base}?customer={other['id']}"))
    assert other_invoice["number"] in by_customer and invoice["number"] not in by_customer
    by_number = await client.get(f"{base}?q={invoice['number']}", headers={"hx-request": "true"})
    assert "<html" not in by_number.text  # htmx gets just the results
    assert invoice["number"] in by_number.text and other_invoice["number"] not in by_number.text

    bad = await client.get(f"{base}?date_from=someday&state=lost&cursor=nonsense")
    assert bad.status_code == 200
    assert "is not a date" in bad.text and invoice["number"] in bad.text


async def test_live_totals_recompute_the_posted_lines_without_saving(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/totals"

    answer = await htmx(client, url, line_fields(("Boxes", "2", "10.00", "20")))
    assert answer.status_code == 200
    assert 'id="total-gross" data-amount="24.00"' in answer.text
    assert "€20.00" in answer.text and "€4.00" in answer.text
    assert '<output id="line-net-0"' in answer.text and ">20.00<" in answer.text

    two = await htmx(
        client,
        url,
        line_fields(("Boxes", "2", "10,00", "20"), ("Books", "1", "10.00", "5.5"), currency="EUR"),
    )
    assert 'data-amount="34.55"' in two.text

    bad = await htmx(client, url, line_fields(("Boxes", "two", "10.00", "20"), ("Jam", "1", "5.00", "20")))
    assert bad.status_code == 200
    assert "Line 1, quantity" in bad.text and "not a decimal number" in bad.text
    assert 'data-amount="6.00"' in bad.text  # the readable line still counts

    list_page = await client.get(f"/t/{shop.slug}/invoices")
    assert "No invoices yet" in list_page.text


async def test_the_editor_saves_a_draft_and_the_page_issues_it(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    await bookkeeper(client, world, shop)
    new = await client.get(f"/t/{shop.slug}/invoices/new")
    assert new.status_code == 200
    assert "Green Grocers SCOP" in new.text and 'name="lines[0].description"' in new.text
    assert 'id="total-gross"' in new.text

    saved = await submit(
        client,
        f"/t/{shop.slug}/invoices/new",
        line_fields(
            ("Vegetable boxes", "2", "10.00", "20"), customer_id=customer["id"], payment_terms_days="30"
        ),
    )
    assert saved.status_code == 303, saved.text
    location = saved.headers["location"]
    assert re.fullmatch(rf"/t/{shop.slug}/invoices/[0-9a-f-]{{36}}", location)
    view = await client.get(location)
    assert "The draft is saved." in view.text
    assert "Draft invoice" in view.text and "€24.00" in view.text
    assert "Preview PDF" in view.text and ">Issue<" in view.text

    issue = await submit(client, f"{location}/issue")
    assert issue.status_code == 303
    page = text_of(await client.get(location))
    number = re.search(r"Issued as (INV-\d{4}-\d{5})", page)
    assert number, page
    assert f"Invoice {number[1]}" in page and "Download PDF" in page and "Factur-X XML" in page
    assert f'href="{location}/edit"' not in (await client.get(location)).text

    again = await submit(client, f"{location}/issue")
    assert again.status_code == 409 and "already issued" in again.text
    edit = await client.get(f"{location}/edit", follow_redirects=False)
    assert edit.status_code == 303

    empty = await submit(
        client, f"/t/{shop.slug}/invoices/new", {"customer_id": customer["id"], "currency": "EUR"}
    )
    assert empty.status_code == 303  # a draft may wait for its lines…
    refused = await submit(client, f"{empty.headers['location']}/issue")
    assert refused.status_code == 422  # …but is not issued without one
    assert "Cannot issue yet" in refused.text and "at least one line" in refused.text


async def test_the_editor_lists_each_language_with_a_catalog_by_its_own_name(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    editor = (await client.get(f"/t/{shop.slug}/invoices/new")).text
    chosen = re.search(r'<select id="f-language" name="language">(.*?)</select>', editor, re.S)
    assert chosen, editor
    offered = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', chosen[1])
    assert offered == [(code, Locale.parse(code).get_display_name(code)) for code in LANGUAGES]
    assert ("fr", "français") in offered and ("de", "Deutsch") in offered


async def test_the_editor_shows_each_problem_beside_its_field_with_422(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/new"

    answer = await submit(client, url, line_fields(("Boxes", "2", "ten", "20"), issue_date="31/12/2026"))
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert "Customer: choose a customer" in answer.text
    assert "Line 1, unit price" in answer.text
    assert re.search(r'id="f-lines\[0\]\.unit_price-error">[^<]*not a decimal number<', answer.text)
    assert "is not a date" in answer.text
    assert 'value="ten"' in answer.text  # what was typed comes back

    rate = await submit(client, url, line_fields(("Boxes", "1", "10", "0"), customer_id=customer["id"]))
    assert rate.status_code == 422
    assert re.search(r'id="f-lines\[0\]\.vat_rate-error">[^<]*rate above 0', rate.text)

    unknown = await submit(
        client, url, line_fields(("Boxes", "1", "10", "20"), customer_id=str(uuid.uuid4()))
    )
    assert unknown.status_code == 422 and "is not a customer here" in unknown.text

    added = await submit(client, url, {**line_fields(("Boxes", "1", "10", "20")), "op": "add"})
    assert added.status_code == 200 and 'name="lines[1].description"' in added.text
    removed = await htmx(
        client,
        f"/t/{shop.slug}/invoices/editor/lines",
        {**line_fields(("A", "1", "1", "20"), ("B", "1", "2", "20")), "op": "remove:0"},
    )
    assert removed.status_code == 200 and 'value="B"' in removed.text and 'value="A"' not in removed.text


async def test_editing_a_draft_changes_its_lines(client: Client, world: World, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    document = await draft(client, shop, customer["id"])
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/{document['id']}/edit"
    form = await client.get(url)
    assert 'value="Vegetable boxes"' in form.text and 'data-amount="24.00"' in form.text

    saved = await submit(
        client, url, line_fields(("Fruit boxes", "3", "10.00", "20"), customer_id=customer["id"])
    )
    assert saved.status_code == 303
    api = await client.get(f"{shop.api}/invoices/{document['id']}", headers=shop.owner.headers)
    assert api.json()["total_gross"] == "36.00" and api.json()["lines"][0]["description"] == "Fruit boxes"

    deleted = await submit(client, f"/t/{shop.slug}/invoices/{document['id']}/delete")
    assert deleted.status_code == 303
    assert (await client.get(f"/t/{shop.slug}/invoices/{document['id']}")).status_code == 404


async def test_payments_and_credit_notes_from_the_invoice_page(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    invoice = await issued(client, shop, customer["id"])
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/{invoice['id']}"

    wrong = await submit(
        client, f"{url}/payments", {"amount": "lots", "date": "2020-01-01", "method": "cash"}
    )
    assert wrong.status_code == 422 and "not a decimal number" in wrong.text
    paid = await submit(
        client,
        f"{url}/payments",
        {"amount": "10.00", "date": "2020-01-01", "method": "bank_transfer", "reference": "X1"},
    )
    assert paid.status_code == 303, paid.text
    page = text_of(await client.get(url))
    assert "The payment is recorded." in page and "Partly paid" in page and "€14.00" in page

    account = text_of(await client.get(f"/t/{shop.slug}/customers/{customer['id']}"))
    assert invoice["number"] in account and "€14.00" in account and "X1" in account

    credit = await submit(client, f"{url}/credit", {"reason": "Returned"})
    assert credit.status_code == 303
    note = text_of(await client.get(credit.headers["location"]))
    assert re.search(r"Credit note CN-\d{4}-\d{5} issued", note)
    assert invoice["number"] in note
    after = text_of(await client.get(url))
    assert "Paid" in after and "Credit note" in after


async def test_an_issued_invoice_is_sent_from_its_page(client: Client, world: World, shop: Coop) -> None:
    inbox: list[Envelope] = []

    class Keep:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
            inbox.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = SmtpController(Keep(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        settings = {
            "smtp": {"host": "127.0.0.1", "port": port, "sender": "billing@coop.example", "starttls": False}
        }
        url = f"{shop.api}/invoicing/settings"
        answer = await client.patch(url, json=settings, headers=shop.owner.headers)
        assert answer.status_code == 200, answer.text
        customer = await make_customer(client, shop)
        invoice = await issued(client, shop, customer["id"])
        await bookkeeper(client, world, shop)
        url = f"/t/{shop.slug}/invoices/{invoice['id']}"

        refused = await submit(client, f"{url}/send", {"to": "not an address"})
        assert refused.status_code == 422 and "is not an e-mail address" in refused.text and not inbox
        sent = await submit(client, f"{url}/send", {"to": "books@grocers.example", "message": "Thank you!"})
        assert sent.status_code == 303, sent.text
        page = text_of(await client.get(url))
        assert "Sent to books@grocers.example." in page and "Last sent" in page and "Send again" in page
        assert len(inbox) == 1 and inbox[0].rcpt_tos == ["books@grocers.example"]
    finally:
        server.stop()


async def test_a_quote_becomes_a_draft_invoice_from_its_page(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    body = invoice_body(customer["id"], kind="quote")
    quote = await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)
    assert quote.status_code == 201, quote.text
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/{quote.json()['id']}"
    page = await client.get(url)
    assert "Draft quote" in page.text and "Convert to invoice" in page.text and ">Issue<" not in page.text

    converted = await submit(client, f"{url}/convert")
    assert converted.status_code == 303
    assert re.fullmatch(rf"/t/{shop.slug}/invoices/[0-9a-f-]{{36}}/edit", converted.headers["location"])
    editor = await client.get(converted.headers["location"])
    assert "now this draft invoice" in editor.text and 'value="Vegetable boxes"' in editor.text
    assert "Converted" in (await client.get(url)).text


async def test_a_member_sees_and_downloads_only_its_own_issued_invoices(
    client: Client, world: World, shop: Coop
) -> None:
    mine = await make_customer(client, shop, name="Member Bakery")
    theirs = await make_customer(client, shop, name="Someone Else")
    own = await issued(client, shop, mine["id"])
    own_draft = await draft(client, shop, mine["id"], ("Secret", "1", "1.00", "20"))
    other = await issued(client, shop, theirs["id"], ("Nets", "1", "100.00", "20"))
    member = await world.join(shop, "member", party_id=uuid.UUID(mine["id"]))
    await log_in(client, member)

    listing = await client.get(f"/t/{shop.slug}/invoices")
    assert listing.status_code == 200
    text = text_of(listing)
    assert "My invoices" in text and own["number"] in text
    assert other["number"] not in text and "Secret" not in text and "Someone Else" not in text
    assert "New invoice" not in text
    assert f"/api/v1/tenants/{shop.slug}/invoices/{own['id']}/pdf" in listing.text
    assert "1 document" in text

    page = await client.get(f"/t/{shop.slug}/invoices/{own['id']}")
    assert page.status_code == 200 and "Download PDF" in page.text
    assert (
        "Record a payment" not in page.text
        and "Credit in full" not in page.text
        and ">Issue<" not in page.text
    )
    assert (await client.get(f"/t/{shop.slug}/invoices/{other['id']}")).status_code == 404
    assert (await client.get(f"/t/{shop.slug}/invoices/{own_draft['id']}")).status_code == 404
    assert (await client.get(f"/t/{shop.slug}/invoices?customer={theirs['id']}")).text.count(
        other["number"]
    ) == 0
    assert (await client.get(f"/t/{shop.slug}/invoices/new")).status_code == 403
    assert (await client.get(f"/t/{shop.slug}/customers/{theirs['id']}")).status_code == 403
    assert (await submit(client, f"/t/{shop.slug}/invoices/{own['id']}/credit")).status_code == 403

    xml = await client.get(f"/api/v1/tenants/{shop.slug}/invoices/{own['id']}/ubl.xml")
    assert xml.status_code == 200 and own["number"] in xml.text
    assert (
        await client.get(f"/api/v1/tenants/{shop.slug}/invoices/{other['id']}/ubl.xml")
    ).status_code == 404


async def test_the_pages_are_gone_when_the_module_is_off(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    assert (await client.get(f"/t/{coop.slug}/invoices")).status_code == 404
    dashboard = await client.get(f"/t/{coop.slug}/")
    assert "Invoices" not in dashboard.text
