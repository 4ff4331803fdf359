"""The editor as a bookkeeper types into it: new lines start with the co-op's VAT, and a reduced rate is
called one."""

from __future__ import annotations

import re
from decimal import Decimal

from modules.invoicing.services.languages import category_name
from modules.invoicing.services.vat_categories import vat_label
from tests.conftest import Coop, World
from tests.modules.invoicing.test_pages import Client, bookkeeper, htmx, line_fields
from tests.pages import log_in, submit, text_of

DASH = "\N{EN DASH}"


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
