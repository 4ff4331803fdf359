"""An invoice's life in a real browser against a real server: the demo co-op's owner fills in the co-op's
legal details, writes an invoice in the editor for a member business (watching the totals follow the
lines), saves it, issues it and downloads its PDF."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, DEMO_EMAIL, DEMO_PASSWORD, demo_server, need_chromium

pytestmark = pytest.mark.browser

SCREENSHOT = Path(os.environ.get("COOPSTACK_E2E_INVOICE_SCREENSHOT", "/tmp/invoice.png"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install with the demo co-op, served by ``coop serve``; yields its URL."""
    need_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e-invoice")) as base_url:
        yield base_url


def owed(page: Any) -> Any:
    """The customer page's "Owed" cell in euros."""
    balance = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="EUR"))
    return balance.get_by_role("cell").nth(1)


def test_an_owner_writes_issues_and_downloads_an_invoice(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(15_000)

            page.goto(f"{server}/t/demo/invoices")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.get_by_label("E-mail").fill(DEMO_EMAIL)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()

            # An invoice names its seller: the co-op's legal details come first.
            page.goto(f"{server}/t/demo/settings")
            page.get_by_label("Legal name").fill("Demo Co-op SCIC")
            page.get_by_label("VAT number").fill("FR40303265045")
            page.get_by_label("Street and number").fill("3 rue des Halles")
            page.get_by_label("Postcode").fill("69001")
            page.get_by_label("City").fill("Lyon")
            page.get_by_label("Country").fill("FR")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_contain_text("saved")

            # What Green Grocers owes already (the demo's sample invoices), to see the new one add to it.
            page.get_by_role("link", name="Invoices", exact=True).click()
            page.get_by_role("link", name="Green Grocers SCOP").first.click()
            expect(page.get_by_role("heading", name="Green Grocers SCOP", level=1)).to_be_visible()
            owed_before = Decimal(owed(page).inner_text().strip().lstrip("€").replace(",", ""))

            page.get_by_role("link", name="Invoices", exact=True).click()
            page.get_by_role("link", name="New invoice").click()
            expect(page.get_by_role("heading", name="New invoice", level=1)).to_be_visible()
            page.get_by_role("combobox", name="Customer").select_option(label="Green Grocers SCOP (FR)")
            page.get_by_label("Line 1 description").fill("Vegetable boxes")
            page.get_by_label("Line 1 quantity").fill("2")
            page.get_by_label("Line 1 unit price").fill("10.00")
            page.get_by_label("Line 1 VAT rate in percent").fill("20")
            totals = page.locator("#totals")
            expect(page.locator("#total-gross")).to_have_text("€24.00")
            expect(page.get_by_label("Line 1 net amount")).to_have_text("20.00")

            page.get_by_role("button", name="Add line").click()
            expect(page.get_by_label("Line 2 description")).to_be_focused()
            expect(page.get_by_label("Line 2 VAT rate in percent")).to_have_value("20")
            page.get_by_label("Line 2 description").fill("Delivery")
            page.get_by_label("Line 2 unit price").fill("5")
            expect(page.locator("#total-gross")).to_have_text("€30.00")
            page.get_by_label("Line 2 quantity").fill("x")
            expect(totals).to_contain_text("Line 2, quantity")
            expect(page.locator("#total-gross")).to_have_text("€24.00")
            page.get_by_label("Line 2 quantity").fill("1")
            expect(page.locator("#total-gross")).to_have_text("€30.00")
            page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "-editor.png")), full_page=True)

            page.get_by_label("Line 2 unit price").fill("five")
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_role("alert")).to_contain_text("Line 2, unit price")
            expect(page.get_by_label("Line 2 unit price")).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_label("Line 1 description")).to_have_value("Vegetable boxes")
            page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "-errors.png")), full_page=True)
            page.get_by_label("Line 2 unit price").fill("5")
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
            expect(page.get_by_role("heading", name="Draft invoice", level=1)).to_be_visible()
            expect(page.get_by_role("link", name="Preview PDF")).to_be_visible()

            page.get_by_role("button", name="Issue").click()
            expect(page.get_by_role("status")).to_contain_text(re.compile(r"Issued as INV-\d{4}-\d{5}"))
            heading = page.get_by_role("heading", level=1)
            expect(heading).to_have_text(re.compile(r"Invoice INV-\d{4}-\d{5}"))
            number = heading.inner_text().removeprefix("Invoice ").strip()
            expect(page.locator("#document-total")).to_have_text("€30.00")
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            download_link = page.get_by_role("link", name="Download PDF")
            expect(download_link).to_be_visible()
            with page.expect_download() as download_info:
                download_link.click()
            download = download_info.value
            assert download.suggested_filename == f"{number}.pdf"
            content = Path(download.path()).read_bytes()
            assert content.startswith(b"%PDF"), content[:40]

            page.get_by_role("link", name="Invoices", exact=True).click()
            row = page.get_by_role("row").filter(has=page.get_by_role("link", name=number))
            expect(row).to_contain_text("Green Grocers SCOP")
            expect(row).to_contain_text("€30.00")
            expect(row).to_contain_text("Open")
            page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "-list.png")), full_page=True)

            row.get_by_role("link", name="Green Grocers SCOP").click()
            expect(page.get_by_role("heading", name="Green Grocers SCOP", level=1)).to_be_visible()
            expect(owed(page)).to_have_text(f"€{owed_before + 30:,.2f}")
            expect(page.get_by_role("link", name=number)).to_be_visible()
            page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "-customer.png")), full_page=True)
        finally:
            browser.close()
