"""The editor as a bookkeeper types into it: Enter never removes a line, a discount is an amount or a
percentage, new lines start with the co-op's VAT, and a reduced rate is called one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from core.errors import InvalidInput
from modules.invoicing.services.discounts import line_discount
from modules.invoicing.services.languages import category_name
from modules.invoicing.services.vat_categories import vat_label
from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import make_customer
from tests.modules.invoicing.test_pages import Client, bookkeeper, htmx, line_fields
from tests.pages import log_in, submit, text_of

DASH = "\N{EN DASH}"


def with_discount(fields: dict[str, str], row: int, discount: str) -> dict[str, str]:
    return {**fields, f"lines[{row}].discount": discount}


def error_beside(page: str, field: str) -> str | None:
    """The message shown beside a field of the editor (None: the field is fine)."""
    found = re.search(
        rf'<p class="field-error" id="f-{re.escape(field)}-error"( hidden)?[^>]*>([^<]*)</p>', page
    )
    assert found, f"no error slot beside {field}"
    return None if found[1] else found[2]


async def test_enter_in_a_field_presses_a_harmless_default_button(
    client: Client, world: World, shop: Coop
) -> None:
    """Enter submits a form with its first submit button: in the editor that is "Recalculate", which
    shows the form again with its totals, never "Remove line 1"."""
    await bookkeeper(client, world, shop)
    editor = (await client.get(f"/t/{shop.slug}/invoices/new")).text
    form = editor[editor.index('<form id="invoice-form"') :]
    first_button = re.search(r"<button\b[^>]*>", form)
    assert first_button and 'value="recalculate"' in first_button[0], first_button

    two = line_fields(("Boxes", "2", "10.00", "20"), ("Jam", "1", "5.00", "20"))
    again = await submit(client, f"/t/{shop.slug}/invoices/new", {**two, "op": "recalculate"})
    assert again.status_code == 200
    assert 'value="Boxes"' in again.text and 'value="Jam"' in again.text
    assert 'data-amount="30.00"' in again.text
    assert "No invoices yet" in (await client.get(f"/t/{shop.slug}/invoices")).text

    unreadable = await submit(
        client, f"/t/{shop.slug}/invoices/new", {**with_discount(two, 1, "ten"), "op": "recalculate"}
    )
    assert "10.00 or 10%" in (error_beside(unreadable.text, "lines[1].discount") or "")


async def test_a_discount_is_an_amount_or_a_percentage_of_the_line(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/totals"
    boxes = line_fields(("Boxes", "2", "10.00", "20"))
    for typed in ("10%", "10 %", "2.00", "2,00"):
        answer = await htmx(client, url, with_discount(boxes, 0, typed))
        assert 'data-amount="21.60"' in answer.text, typed  # (20.00 - 2.00) * 1.2
        assert ">18.00<" in answer.text, typed

    # 3 x 3.33 = 9.99; 12.5 % of it is 1.24875, a line allowance of 1.25 (half-up to the cent).
    odd = await htmx(client, url, with_discount(line_fields(("Jam", "3", "3.33", "20")), 0, "12,5%"))
    assert ">8.74<" in odd.text


async def test_a_discount_that_cannot_be_read_is_named_beside_it_and_the_totals_say_so(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/totals"
    two = line_fields(("Boxes", "2", "10.00", "20"), ("Jam", "1", "5.00", "20"))

    answer = await htmx(client, url, with_discount(two, 0, "ten%"))
    assert answer.status_code == 200
    beside = error_beside(answer.text, "lines[0].discount")
    assert beside and "10.00 or 10%" in beside
    assert error_beside(answer.text, "lines[0].vat_rate") is None
    assert "vat rate" not in text_of(answer)
    assert "The totals leave out line 1 until it is corrected." in text_of(answer)
    assert 'data-amount="6.00"' in answer.text  # line 2 still counts

    too_much = await htmx(client, url, with_discount(two, 1, "120%"))
    assert "between 0% and 100%" in (error_beside(too_much.text, "lines[1].discount") or "")


async def test_a_percentage_discount_is_saved_as_its_amount(client: Client, world: World, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    await bookkeeper(client, world, shop)
    fields = with_discount(line_fields(("Boxes", "2", "10.00", "20"), customer_id=customer["id"]), 0, "10%")
    saved = await submit(client, f"/t/{shop.slug}/invoices/new", fields)
    assert saved.status_code == 303, saved.text
    document_id = saved.headers["location"].rsplit("/", 1)[1]
    api = (await client.get(f"{shop.api}/invoices/{document_id}", headers=shop.owner.headers)).json()
    assert Decimal(api["lines"][0]["discount"]) == Decimal("2.00") and api["total_gross"] == "21.60"

    refused = await submit(client, f"/t/{shop.slug}/invoices/new", with_discount(fields, 0, "10 percent"))
    assert refused.status_code == 422
    assert "Line 1, discount" in refused.text and "vat rate" not in refused.text


def test_a_percentage_discount_is_rounded_half_up_to_the_documents_decimals() -> None:
    def discount(text: str, quantity: str, price: str, places: int = 2) -> Decimal:
        return line_discount(
            text, quantity=Decimal(quantity), unit_price=Decimal(price), places=places, field="d"
        )

    assert discount("10%", "2", "10") == Decimal("2.00")
    assert discount("12.5%", "3", "3.33") == Decimal("1.25")
    assert discount("10%", "-2", "10") == Decimal("2.00")  # a size, like an amount discount
    assert discount("15%", "1", "333", places=0) == Decimal("50")
    assert discount("3.00", "1", "10") == Decimal("3.00")
    with pytest.raises(InvalidInput):
        discount("101%", "1", "10")
    with pytest.raises(InvalidInput):
        discount("abc", "1", "10")


async def test_new_lines_start_with_the_coops_default_vat(client: Client, world: World, shop: Coop) -> None:
    await bookkeeper(client, world, shop)
    fresh = (await client.get(f"/t/{shop.slug}/invoices/new")).text
    assert re.search(r'name="lines\[0\]\.vat_rate" type="text" value="20"', fresh)  # France's standard rate

    settings_url = f"{shop.api}/invoicing/settings"
    changed = await client.patch(settings_url, json={"default_vat_rate": "5.5"}, headers=shop.owner.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["default_vat_rate"] == "5.5" and changed.json()["default_vat_category"] == "S"
    new = (await client.get(f"/t/{shop.slug}/invoices/new")).text
    assert re.search(r'name="lines\[0\]\.vat_rate" type="text" value="5.5"', new)
    assert f'<option value="S" selected>S {DASH} Reduced rate</option>' in new

    added = await htmx(client, f"/t/{shop.slug}/invoices/editor/lines", {"currency": "EUR", "op": "add"})
    assert re.search(r'name="lines\[0\]\.vat_rate" type="text" value="5.5"', added.text)

    refused = await client.patch(
        settings_url, json={"default_vat_category": "K", "default_vat_rate": "20"}, headers=shop.owner.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "default_vat_rate"
    export = await client.patch(
        settings_url, json={"default_vat_category": "G", "default_vat_rate": None}, headers=shop.owner.headers
    )
    assert export.json()["default_vat_category"] == "G" and export.json()["default_vat_rate"] == "0"
    new = (await client.get(f"/t/{shop.slug}/invoices/new")).text
    assert '<option value="G" selected>' in new


async def test_the_settings_page_sets_the_vat_new_lines_start_with(
    client: Client, world: World, shop: Coop
) -> None:
    await log_in(client, shop.owner)
    url = f"/t/{shop.slug}/invoicing/settings"
    page = await client.get(url)
    assert 'name="default_vat_rate"' in page.text and "standard rate (20 %)" in page.text
    form = {
        "invoice_pattern": "INV-{year}-{number:05d}",
        "credit_note_pattern": "CN-{year}-{number:05d}",
        "quote_pattern": "Q-{year}-{number:05d}",
        "number_per_year": "on",
        "payment_terms_days": "30",
        "reminder_days": "7, 21, 45",
        "brand_colour": "#1b5e3b",
        "footer": "",
        "default_vat_category": "S",
        "default_vat_rate": "10",
    }
    saved = await submit(client, url, form)
    assert saved.status_code == 303, saved.text
    api = await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)
    assert api.json()["default_vat_rate"] == "10"

    refused = await submit(client, url, {**form, "default_vat_rate": "0"})
    assert refused.status_code == 422
    assert 'id="f-default_vat_rate-error"' in refused.text


async def test_a_rate_below_the_countrys_standard_rate_reads_reduced(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    answer = await htmx(
        client,
        f"/t/{shop.slug}/invoices/totals",
        line_fields(("Boxes", "1", "10.00", "20"), ("Books", "1", "10.00", "5.5")),
    )
    text = text_of(answer)
    assert f"VAT S {DASH} Standard rate 20% of €10.00" in text
    assert f"VAT S {DASH} Reduced rate 5.5% of €10.00" in text


def test_category_labels_follow_the_rate_in_the_sellers_country() -> None:
    assert vat_label("S", Decimal("5.5"), "FR") == "Reduced rate"
    assert vat_label("S", Decimal("20"), "FR") == "Standard rate"
    assert vat_label("S", Decimal("7"), "DE") == "Reduced rate"
    assert vat_label("S", Decimal("19"), "DE") == "Standard rate"
    assert vat_label("S", Decimal("5.5"), None) == "Standard rate"  # no country: nothing to compare
    assert vat_label("Z", Decimal("0"), "FR") == "Zero rate"
    assert vat_label("AE", Decimal("0"), "FR") == "Reverse charge"
    assert vat_label("K", Decimal("0"), "FR") == "Intra-community supply"
    assert vat_label("G", Decimal("0"), "FR") == "Export outside the EU"
    assert category_name("S", "fr", rate=Decimal("5.5"), country="FR") == "Taux réduit"
    assert category_name("S", "fr", rate=Decimal("20"), country="FR") == "Taux normal"
