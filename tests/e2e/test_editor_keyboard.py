"""The invoice editor from the keyboard alone, in a real browser against a real server: Enter moves from
field to field and never removes a line; a percentage discount and the co-op's default VAT rate give the
totals a bookkeeper expects; without JavaScript, Enter recalculates and keeps every line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, DEMO_EMAIL, DEMO_PASSWORD, demo_server, need_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e-editor")) as base_url:
        yield base_url


def log_in(page: Any, server: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_a_bookkeeper_writes_the_lines_with_the_keyboard_and_enter_removes_nothing(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 1000})
            page.set_default_timeout(15_000)
            log_in(page, server)
            page.goto(f"{server}/t/demo/invoices/new")
            page.get_by_role("combobox", name="Customer").select_option(label="Green Grocers SCOP (FR)")
            keyboard = page.keyboard

            page.get_by_label("Line 1 description").focus()
            keyboard.type("Vegetable boxes")
            keyboard.press("Enter")
            expect(page.get_by_label("Line 1 quantity")).to_be_focused()
            keyboard.type("2")  # Enter selected what was there ("1"): typing replaces it
            keyboard.press("Enter")
            expect(page.get_by_label("Line 1 unit", exact=True)).to_be_focused()
            keyboard.press("Enter")
            expect(page.get_by_label("Line 1 unit price")).to_be_focused()
            keyboard.type("10.00")
            keyboard.press("Enter")
            expect(page.get_by_label("Line 1 discount")).to_be_focused()
            keyboard.type("10%")
            keyboard.press("Enter")
            expect(page.get_by_label("Line 1 VAT category")).to_be_focused()
            keyboard.press("Enter")
            rate = page.get_by_label("Line 1 VAT rate in percent")
            expect(rate).to_be_focused()
            expect(rate).to_have_value("20")  # the co-op's default: France's standard rate
            # Past the Remove button and the exemption reason (hidden for a standard-rated line).
            keyboard.press("Enter")
            expect(page.get_by_role("button", name="Add line")).to_be_focused()
            expect(page.get_by_label("Line 1 description")).to_have_value("Vegetable boxes")
            expect(page.locator("#total-gross")).to_have_text("€21.60")  # (20.00 - 10 %) + 20 % VAT
            expect(page.get_by_label("Line 1 net amount")).to_have_text("18.00")
            keyboard.press("Enter")
            expect(page.get_by_label("Line 2 description")).to_be_focused()
            # The new line has settled (htmx focuses it once its swap settles) before typing into it.
            expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
            expect(page.get_by_label("Line 2 description")).to_be_focused()
            keyboard.type("Delivery")
            # Each key waits for the focus it moves: the page swaps in live totals meanwhile.
            for label in ("Line 2 quantity", "Line 2 unit", "Line 2 unit price"):
                keyboard.press("Enter")
                expect(page.get_by_label(label, exact=True)).to_be_focused()
            keyboard.type("5")
            keyboard.press("Enter")
            expect(page.get_by_label("Line 2 discount")).to_be_focused()
            keyboard.type("ten%")
            expect(page.locator("#f-lines\\[1\\]\\.discount-error")).to_contain_text("10.00 or 10%")
            expect(page.locator("#totals")).to_contain_text("leave out line 2")
            expect(page.locator("#total-gross")).to_have_text("€21.60")
            keyboard.press("Control+A")
            keyboard.type("0.50")
            expect(page.locator("#f-lines\\[1\\]\\.discount-error")).to_be_hidden()
            expect(page.locator("#total-gross")).to_have_text("€27.00")
            expect(
                page.get_by_role("listitem").filter(has=page.get_by_label("Line 1 description"))
            ).to_have_count(1)
            expect(page.get_by_label("Line 1 description")).to_have_value("Vegetable boxes")
            expect(page).to_have_url(re.compile(r"/invoices/new$"))
        finally:
            browser.close()


def test_without_javascript_enter_recalculates_and_keeps_every_line(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            page.set_default_timeout(15_000)
            log_in(page, server)
            page.goto(f"{server}/t/demo/invoices/new")
            page.get_by_label("Line 1 description").fill("Vegetable boxes")
            page.get_by_label("Line 1 quantity").fill("2")
            page.get_by_label("Line 1 unit price").fill("10.00")
            page.get_by_label("Line 1 discount").fill("10%")
            page.get_by_label("Line 1 unit price").press("Enter")
            expect(page.locator("#total-gross")).to_have_text("€21.60")
            expect(page.get_by_label("Line 1 description")).to_have_value("Vegetable boxes")
            expect(page).to_have_url(re.compile(r"/invoices/new$"))
        finally:
            browser.close()
