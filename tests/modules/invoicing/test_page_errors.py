"""Where an invoice's page says what went wrong: beside the form that caused it (the page comes back
scrolled to that form), as an alert screen readers announce; each field's problem beside the field; and
the top of the page only for what the actions there caused."""

from __future__ import annotations

import socket

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import html

from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body, make_customer
from tests.pages import alerts, log_in, submit

Client = AsyncTestClient[Litestar]


async def issued_invoice(client: Client, world: World, coop: Coop) -> str:
    """The page of an issued invoice (€24.00), with a bookkeeper logged in."""
    customer = await make_customer(client, coop)
    answer = await client.post(
        f"{coop.api}/invoices", json=invoice_body(customer["id"]), headers=coop.owner.headers
    )
    assert answer.status_code == 201, answer.text
    invoice_id = answer.json()["id"]
    answer = await client.post(f"{coop.api}/invoices/{invoice_id}/issue", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    await log_in(client, await world.join(coop, "bookkeeper"))
    return f"/t/{coop.slug}/invoices/{invoice_id}"


def untied_field_errors(answer: httpx.Response) -> list[str]:
    """Each field's problem that no invalid field points to (``aria-describedby``), so a screen reader on
    the field would not hear it."""
    page = html.fromstring(answer.text)
    untied = []
    for error in page.xpath('//*[contains(@class, "field-error")][@id]'):
        ident = error.get("id")
        tied = page.xpath(
            f'//*[@aria-invalid="true"][contains(concat(" ", @aria-describedby, " "), " {ident} ")]'
        )
        if not tied:
            untied.append(f"{ident}: {error.text_content().strip()}")
    return untied


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_refused_mail_is_announced_beside_the_send_form(
    client: Client, world: World, shop: Coop
) -> None:
    smtp = {"host": "127.0.0.1", "port": closed_port(), "sender": "billing@coop.example", "starttls": False}
    settings = f"{shop.api}/invoicing/settings"
    answer = await client.patch(settings, json={"smtp": smtp}, headers=shop.owner.headers)
    assert answer.status_code == 200, answer.text
    url = await issued_invoice(client, world, shop)

    refused = await submit(client, f"{url}/send", {"to": "books@grocers.example"})

    assert refused.status_code == 502
    [(where, said)] = alerts(refused)
    assert where == "send" and "could not be reached or refused the message" in said


async def test_a_wrong_address_or_message_is_announced_in_the_send_form_and_named_at_its_field(
    client: Client, world: World, shop: Coop
) -> None:
    url = await issued_invoice(client, world, shop)

    wrong_address = await submit(client, f"{url}/send", {"to": "not an address"})
    too_long = await submit(client, f"{url}/send", {"to": "books@grocers.example", "message": "x" * 5001})

    for refused, field in ((wrong_address, "to"), (too_long, "message")):
        assert refused.status_code == 422
        assert [where for where, _ in alerts(refused)] == ["send"]
        assert f'id="s-{field}-error"' in refused.text and untied_field_errors(refused) == []
    assert "is not an e-mail address" in wrong_address.text


async def test_a_payment_not_recorded_is_announced_beside_its_form_and_each_field_says_why(
    client: Client, world: World, shop: Coop
) -> None:
    url = await issued_invoice(client, world, shop)

    refused = await submit(client, f"{url}/payments", {"amount": "lots", "date": "", "method": "cash"})

    assert refused.status_code == 422
    assert alerts(refused) == [("record-payment", "The payment was not recorded.")]
    assert 'id="p-amount-error"' in refused.text and 'id="p-date-error"' in refused.text
    assert untied_field_errors(refused) == []


async def test_a_partial_credit_not_issued_is_announced_in_its_open_form_with_each_problem(
    client: Client, world: World, shop: Coop
) -> None:
    url = await issued_invoice(client, world, shop)

    refused = await submit(client, f"{url}/credit-part", {"reason": "", "amount_description": "x" * 501})

    assert refused.status_code == 422
    [(where, said)] = alerts(refused)
    assert where == "credit-part" and said.startswith("The credit note was not issued.")
    assert "Reason: say why the invoice is credited" in said and "Description: must be at most" in said
    assert '<details id="credit-part" open>' in refused.text
    assert untied_field_errors(refused) == []


async def test_an_error_whose_form_is_not_on_the_page_is_announced_at_the_top(
    client: Client, world: World, shop: Coop
) -> None:
    url = await issued_invoice(client, world, shop)
    credited = await submit(client, f"{url}/credit", {"reason": "Returned"})
    assert credited.status_code == 303, credited.text

    refused = await submit(client, f"{url}/reminders", {"paused": "true", "reason": "settled"})

    [(where, said)] = alerts(refused)
    assert where == "" and said


async def test_a_notice_after_an_action_is_a_status_message(client: Client, world: World, shop: Coop) -> None:
    url = await issued_invoice(client, world, shop)

    paid = await submit(client, f"{url}/payments", {"amount": "4.00", "date": "2026-01-05", "method": "cash"})
    assert paid.status_code == 303, paid.text
    page = await client.get(paid.headers["location"])

    assert '<div class="notice" role="status">The payment is recorded.</div>' in page.text
    assert alerts(page) == []


async def test_each_filter_of_the_list_that_cannot_be_read_says_so_at_its_field(
    client: Client, world: World, shop: Coop
) -> None:
    await issued_invoice(client, world, shop)

    page = await client.get(f"/t/{shop.slug}/invoices?state=lost&kind=letter&customer=nobody&date_to=someday")

    for name in ("state", "kind", "customer", "date_to"):
        assert f'<p class="field-error" id="f-{name}-error">' in page.text, name
    assert untied_field_errors(page) == []


async def test_a_logo_not_saved_is_announced_in_the_logo_section(
    client: Client, world: World, shop: Coop
) -> None:
    await log_in(client, shop.owner)
    await client.get("/login")

    refused = await client.post(
        f"/t/{shop.slug}/invoicing/settings/logo",
        data={"_csrf_token": client.cookies["csrftoken"]},
        files={"logo": ("logo.txt", b"not a picture", "text/plain")},
    )

    assert refused.status_code == 422
    [(where, said)] = alerts(refused)
    assert where == "logo" and said.startswith("The logo was not saved.")
