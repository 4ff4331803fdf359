"""The report and settings pages as a bookkeeper and an owner meet them: the aged receivables, VAT and
revenue pages with their CSV downloads, the settings form (numbering, branding, logo) and a partial
credit note from an invoice's page. Forms are posted the way a browser does."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body, make_customer
from tests.modules.invoicing.test_pages import bookkeeper, issued, log_in, submit, text_of

Client = AsyncTestClient[Litestar]
TODAY = date.today()  # noqa: DTZ011 - the test co-ops live in UTC
DASH = "\u2013"  # ranges such as 1-30 days are printed with an en dash


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def issued_on(
    client: Client, coop: Coop, customer_id: str, *, issue_date: str, due_date: str
) -> dict[str, Any]:
    body = invoice_body(customer_id, issue_date=issue_date, due_date=due_date)
    draft = await client.post(f"{coop.api}/invoices", json=body, headers=coop.owner.headers)
    assert draft.status_code == 201, draft.text
    answer = await client.post(f"{coop.api}/invoices/{draft.json()['id']}/issue", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def cell(page: httpx.Response, bucket: str) -> list[str]:
    """The amounts shown in one column of the aged receivables (customer rows, then the total)."""
    found = re.findall(rf'data-bucket="{bucket}">([^<]*)</td>', page.text)
    return [html.unescape(value).strip() for value in found]


def form_of(page: httpx.Response) -> dict[str, str]:
    """What a browser would submit from the settings form as the page shows it."""
    found = re.search(
        r'<form method="post" action="[^"]*/invoicing/settings"[^>]*>(.*?)</form>', page.text, re.S
    )
    assert found is not None, page.text
    form = found.group(1)
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        name = re.search(r'\bname="([^"]+)"', tag)
        if not name or name.group(1) == "_csrf_token":
            continue
        kind = re.search(r'\btype="([^"]+)"', tag)
        if kind and kind.group(1) == "checkbox":
            if re.search(r"\schecked\b", tag):
                fields[name.group(1)] = "on"
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, value in re.findall(r'<textarea[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = html.unescape(value)
    return fields


def png(width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (27, 94, 59)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_the_aged_receivables_page_shows_an_overdue_balance_in_its_bucket(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    overdue = await issued_on(client, shop, customer["id"], issue_date=ago(45), due_date=ago(15))
    await issued_on(client, shop, customer["id"], issue_date=ago(100), due_date=ago(70))
    await bookkeeper(client, world, shop)

    page = await client.get(f"/t/{shop.slug}/reports/aged-receivables")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "Green Grocers SCOP" in text and f"1{DASH}30 days" in text and f"61{DASH}90 days" in text
    assert cell(page, "days_1_30") == ["€24.00", "€24.00"]  # the customer's row, then the total
    assert cell(page, "days_61_90") == ["€24.00", "€24.00"]
    assert cell(page, "current") == ["", "€0.00"]
    assert "€48.00" in text

    # Twenty days ago the first invoice was not yet due and the other was 50 days past due.
    earlier = await client.get(f"/t/{shop.slug}/reports/aged-receivables", params={"on": ago(20)})
    assert earlier.status_code == 200
    assert cell(earlier, "current") == ["€24.00", "€24.00"]
    assert cell(earlier, "days_31_60") == ["€24.00", "€24.00"]
    assert overdue["number"] not in earlier.text  # a report per customer, not per invoice

    link = re.search(r'href="(/api/v1/tenants/[^"]+/reports/aged-receivables\?[^"]+)"', page.text)
    assert link is not None and "Download CSV" in page.text
    download = await client.get(html.unescape(link.group(1)))
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    assert "Green Grocers SCOP" in download.text and "24.00" in download.text


async def test_the_vat_and_revenue_pages_show_the_invoice(client: Client, world: World, shop: Coop) -> None:
    customer = await make_customer(client, shop)
    invoice = await issued(
        client, shop, customer["id"], ("Boxes", "2", "10.00", "20"), ("Jam", "1", "8.00", "5.5")
    )
    await bookkeeper(client, world, shop)
    month = invoice["issue_date"][:7]

    vat = await client.get(f"/t/{shop.slug}/reports/vat")
    assert vat.status_code == 200, vat.text
    text = text_of(vat)
    assert f"{month} EUR S {DASH} Standard rate 20% €20.00 €4.00 1" in text
    assert f"{month} EUR S {DASH} Reduced rate 5.5% €8.00 €0.44 1" in text
    assert "Download CSV" in text and "format=csv" in vat.text

    revenue = text_of(await client.get(f"/t/{shop.slug}/reports/revenue"))
    assert "Green Grocers SCOP 1 0 €28.00 €0.00 €28.00" in revenue

    before = text_of(
        await client.get(f"/t/{shop.slug}/reports/vat", params={"from": "2000-01-01", "to": "2000-12-31"})
    )
    assert "Nothing was issued in this period." in before

    index = await client.get(f"/t/{shop.slug}/reports")
    assert index.status_code == 200
    for name in ("aged-receivables", "vat", "revenue"):
        assert f'href="/t/{shop.slug}/reports/{name}"' in index.text
    assert f'href="/t/{shop.slug}/reports"' in index.text  # in the navigation


async def test_bad_report_dates_are_explained_not_crashed_on(
    client: Client, world: World, shop: Coop
) -> None:
    await bookkeeper(client, world, shop)
    for url, params, message in (
        ("aged-receivables", {"on": "2024-13-40"}, "is not a date"),
        ("vat", {"from": "yesterday"}, "is not a date"),
        ("revenue", {"to": "31/12/2024"}, "is not a date"),
        ("vat", {"from": "2024-12-31", "to": "2024-01-01"}, "must not be after the end date"),
    ):
        answer = await client.get(f"/t/{shop.slug}/reports/{url}", params=params)
        assert answer.status_code == 422, (url, params, answer.text)
        assert message in answer.text and 'aria-invalid="true"' in answer.text
        assert "Download CSV" not in answer.text


async def test_the_settings_form_changes_the_numbering_of_the_next_invoice(
    client: Client, world: World, shop: Coop
) -> None:
    await log_in(client, shop.owner)
    url = f"/t/{shop.slug}/invoicing/settings"
    page = await client.get(url)
    assert page.status_code == 200, page.text
    fields = form_of(page)
    assert fields["invoice_pattern"] == "INV-{year}-{number:05d}" and fields["number_per_year"] == "on"
    assert fields["reminder_days"] == "7, 21, 45"

    fields |= {
        "invoice_pattern": "F{year}/{number:04d}",
        "payment_terms_days": "14",
        "reminder_days": "5, 15",
        "brand_colour": "#AA3300",
        "footer": "SCIC SAS, Lyon",
        "smtp.host": "mail.example.test",
        "smtp.port": "2525",
        "smtp.user": "coop",
        "smtp.password": "s3cret",
    }
    saved = await submit(client, url, fields)
    assert saved.status_code == 303, saved.text
    shown = await client.get(url)
    assert "The invoicing settings are saved." in shown.text and "s3cret" not in shown.text
    again = form_of(shown)
    assert again["invoice_pattern"] == "F{year}/{number:04d}" and again["brand_colour"] == "#aa3300"
    assert again["reminder_days"] == "5, 15" and again["smtp.password"] == ""
    assert "A password is stored" in shown.text

    stored = (await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)).json()
    assert stored["payment_terms_days"] == 14 and stored["footer"] == "SCIC SAS, Lyon"
    assert stored["smtp"]["port"] == 2525 and stored["smtp"]["password_set"] is True

    # Saving the form again without typing the password keeps it.
    assert (await submit(client, url, again)).status_code == 303
    stored = (await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)).json()
    assert stored["smtp"]["password_set"] is True

    customer = await make_customer(client, shop)
    invoice = await issued(client, shop, customer["id"])
    assert invoice["number"] == f"F{invoice['issue_date'][:4]}/0001"
    assert invoice["due_date"] == (date.fromisoformat(invoice["issue_date"]) + timedelta(days=14)).isoformat()


async def test_a_wrong_pattern_or_colour_is_refused_and_named(
    client: Client, world: World, shop: Coop
) -> None:
    await log_in(client, shop.owner)
    url = f"/t/{shop.slug}/invoicing/settings"
    fields = form_of(await client.get(url))
    refused = await submit(
        client,
        url,
        fields
        | {
            "invoice_pattern": "INV-{year}",
            "brand_colour": "red",
            "reminder_days": "20, ten",
            "footer": "Changed",
        },
    )
    assert refused.status_code == 422, refused.text
    text = text_of(refused)
    assert "Invoice numbers: " in text and "is not a number pattern" in text and "one {number}" in text
    assert "Brand colour: must be a colour like #1b5e3b" in text
    assert "Reminder days: must be whole numbers of days" in text
    assert refused.text.count('aria-invalid="true"') == 3
    assert 'value="red"' in refused.text  # what was typed stays in the form
    stored = (await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)).json()
    assert stored["invoice_pattern"] == "INV-{year}-{number:05d}" and stored["footer"] != "Changed"

    yearless = await submit(client, url, fields | {"invoice_pattern": "F{number:05d}"})
    assert yearless.status_code == 422
    assert "numbers restart every year, so the pattern needs {year}" in yearless.text


async def test_an_uploaded_logo_is_shown_and_printed_on_the_next_invoice(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    before = await issued(client, shop, customer["id"])
    await log_in(client, shop.owner)
    url = f"/t/{shop.slug}/invoicing/settings"
    assert "No logo is set" in (await client.get(url)).text

    token = client.cookies["csrftoken"]
    wrong = await client.post(
        f"{url}/logo",
        data={"_csrf_token": token},
        files={"logo": ("logo.gif", b"GIF89a....", "image/gif")},
    )
    assert wrong.status_code == 422 and "a logo is image/png, image/jpeg or image/svg+xml" in wrong.text

    image = png()
    uploaded = await client.post(
        f"{url}/logo",
        data={"_csrf_token": token},
        files={"logo": ("logo.png", image, "image/png")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    page = await client.get(url)
    assert "Documents are printed with this logo (image/png)" in page.text
    shown = await client.get(f"{url}/logo")
    assert (
        shown.status_code == 200 and shown.content == image and shown.headers["content-type"] == "image/png"
    )

    after = await issued(client, shop, customer["id"])
    pdfs = []
    for invoice in (before, after):
        answer = await client.get(f"{shop.api}/invoices/{invoice['id']}/pdf", headers=shop.owner.headers)
        assert answer.status_code == 200
        pdfs.append(answer.content)
    assert b"/Subtype /Image" not in pdfs[0]
    assert b"/Subtype /Image" in pdfs[1]

    removed = await submit(client, f"{url}/logo/delete")
    assert removed.status_code == 303
    assert "No logo is set" in (await client.get(url)).text
    assert (await client.get(f"{url}/logo")).status_code == 404


async def test_a_viewer_cannot_open_the_settings(client: Client, world: World, shop: Coop) -> None:
    viewer = await world.join(shop, "viewer")
    await log_in(client, viewer)
    url = f"/t/{shop.slug}/invoicing/settings"
    assert (await client.get(url)).status_code == 403
    assert (await submit(client, url, {"invoice_pattern": "X{number}"})).status_code == 403
    reports = await client.get(f"/t/{shop.slug}/reports")
    assert reports.status_code == 200  # reading reports is for every staff member
    assert "Invoicing settings" not in reports.text


async def test_a_partial_credit_from_the_invoice_page_lowers_the_balance(
    client: Client, world: World, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    invoice = await issued(
        client, shop, customer["id"], ("Boxes", "2", "10.00", "20"), ("Jam", "4", "2.50", "5.5")
    )
    await bookkeeper(client, world, shop)
    url = f"/t/{shop.slug}/invoices/{invoice['id']}"
    page = await client.get(url)
    assert "Credit part of it" in page.text and 'name="line-1"' in page.text
    assert text_of(page).count("€34.55") >= 2  # 24.00 + 10.55, the total and the balance

    nothing = await submit(client, f"{url}/credit-part", {"reason": "Damaged"})
    assert nothing.status_code == 422 and "enter an amount to credit" in nothing.text
    too_much = await submit(client, f"{url}/credit-part", {"line-1": "25.00", "reason": "Damaged"})
    assert too_much.status_code == 422 and "must be at most 20.00" in too_much.text
    no_reason = await submit(client, f"{url}/credit-part", {"line-1": "5.00"})
    assert no_reason.status_code == 422 and "printed on the credit note" in no_reason.text

    credited = await submit(
        client, f"{url}/credit-part", {"line-1": "5.00", "reason": "One box arrived damaged"}
    )
    assert credited.status_code == 303, credited.text
    credit_page = text_of(await client.get(credited.headers["location"]))
    assert (
        "Credit note" in credit_page and "One box arrived damaged" in credit_page and "€6.00" in credit_page
    )

    balance = re.search(r'id="document-balance">([^<]+)<', (await client.get(url)).text)
    assert balance is not None and html.unescape(balance.group(1)) == "€28.55"  # 34.55 - 6.00

    amount = await submit(
        client,
        f"{url}/credit-part",
        {"amount": "10", "amount_vat": "S:5.5", "amount_description": "Goodwill", "reason": "Late delivery"},
    )
    assert amount.status_code == 303, amount.text
    balance = re.search(r'id="document-balance">([^<]+)<', (await client.get(url)).text)
    assert balance is not None and html.unescape(balance.group(1)) == "€18.00"  # 28.55 - 10.55

    over = await submit(client, f"{url}/credit-part", {"line-1": "20.00", "reason": "All of it"})
    assert over.status_code == 409 and "can be credited" in over.text  # 24.00 more than the 18.00 left
