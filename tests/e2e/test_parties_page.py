"""The parties page in a real browser against a real server: log in as the demo co-op's owner, add a
member with the form, and find it in the list and through the live search box."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, DEMO_EMAIL, DEMO_PASSWORD, demo_server, need_chromium

pytestmark = pytest.mark.browser

SCREENSHOT = Path(os.environ.get("COOPSTACK_E2E_SCREENSHOT", "/tmp/parties.png"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install with the demo co-op, served by ``coop serve``; yields its URL."""
    need_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e")) as base_url:
        yield base_url


def test_an_owner_adds_a_member_and_finds_it_in_the_list_and_by_search(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)

            page.goto(f"{server}/t/demo/parties")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.get_by_label("E-mail").fill(DEMO_EMAIL)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()

            expect(page).to_have_url(f"{server}/t/demo/parties")
            expect(page.get_by_role("heading", name="Parties", level=1)).to_be_visible()
            expect(page.get_by_role("link", name="Green Grocers SCOP")).to_be_visible()

            form = page.locator("#add-member form")
            form.get_by_label("Organisation").check()
            form.get_by_label("Name").fill("Harbour Fishers Coop")
            form.get_by_label("E-mail").fill("nets@harbour.example")
            form.get_by_label("Country").fill("FR")
            form.get_by_label("City").fill("Marseille")
            form.get_by_label("Admit now").check()
            form.get_by_role("button", name="Add member").click()

            expect(page.get_by_role("status")).to_contain_text("Harbour Fishers Coop is admitted as a member")
            row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Harbour Fishers Coop"))
            expect(row).to_contain_text("Marseille")
            expect(row).to_contain_text("active")
            expect(row).to_contain_text(re.compile(r"M\d{5}"))

            page.get_by_label("Search parties").press_sequentially("harbour", delay=40)
            results = page.locator("#party-rows")
            expect(results.get_by_role("link", name="Green Grocers SCOP")).to_have_count(0)
            expect(results.get_by_role("link", name="Harbour Fishers Coop")).to_be_visible()
            expect(page).to_have_url(re.compile(r"[?&]q=harbour"))
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            row.get_by_role("link", name="Harbour Fishers Coop").click()
            expect(page.get_by_role("heading", name="Harbour Fishers Coop", level=1)).to_be_visible()
            expect(page.get_by_role("button", name="Suspend")).to_be_visible()
        finally:
            browser.close()
