"""Every page each of the demo co-op's people can reach, on a phone and on laptops: the owner, the
bookkeeper and the member log in, follow every link of every page they are shown (same origin, GET only,
bounded) and find no page that scrolls sideways at 390, 1024 or 1366 px, and no link that leads to an
error. On a phone, table rows stack with their column names and the dashboard's figures show whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from core.demo import DEMO_PASSWORD, USERS
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, demo_server, need_chromium

pytestmark = pytest.mark.browser

WIDTHS = (390, 1024, 1366)
"""A phone; a small laptop, where the menu still takes its column; a laptop."""
MOST_PAGES = 250
"""Per person: far more than the demo co-op's pages, so the walk ends by running out of links."""
NOT_WALKED = ("/static/", "/schema")
"""Assets, and the API reference (another application's page, drawn from a CDN)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install with the demo co-op, served by ``coop serve``; yields its URL."""
    need_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e-layout")) as base_url:
        yield base_url


@dataclass
class Walk:
    """What one person's walk found."""

    pages: list[str] = field(default_factory=list)
    overflowing: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def links(page: Any) -> list[tuple[str, bool]]:
    """Every link of the page: its absolute address, and whether it is a download."""
    found = page.eval_on_selector_all(
        "a[href]", "links => links.map(a => [a.href, a.hasAttribute('download')])"
    )
    return [(str(href), bool(download)) for href, download in found]


def walk(page: Any, server: str, start: str) -> Walk:
    """Follow the links from ``start``, measuring each page at every width."""
    origin = urlsplit(server).netloc
    result = Walk()
    queue: list[tuple[str, str, bool]] = [(start, "the start", False)]
    seen = {start}
    while queue and len(result.pages) < MOST_PAGES:
        url, linked_from, is_download = queue.pop(0)
        path = urlsplit(url).path
        if is_download or path.startswith("/api/"):
            status = page.request.get(url).status
            if status >= 400:
                result.broken.append(f"{url} (linked from {linked_from}) answered {status}")
            continue
        response = page.goto(url)
        status = response.status if response is not None else 0
        if status >= 400:
            result.broken.append(f"{url} (linked from {linked_from}) answered {status}")
            continue
        result.pages.append(url)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if (extra := overflow(page)) > 0:
                result.overflowing.append(f"{url} at {width} px: {extra} px too wide")
        for href, download in links(page):
            target = urldefrag(href).url
            parts = urlsplit(target)
            if parts.netloc != origin or parts.path.startswith(NOT_WALKED) or target in seen:
                continue
            seen.add(target)
            queue.append((target, url, download))
    return result


def log_in(page: Any, server: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.parametrize(("email", "role"), [(email, role) for email, _, role in USERS])
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop_and_no_link_is_broken(
    server: str, email: str, role: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
            page.set_default_timeout(15_000)
            log_in(page, server, email)
            result = walk(page, server, page.url)
        finally:
            browser.close()

    assert len(result.pages) > 3, f"the {role} reached only {result.pages}"
    assert len(result.pages) < MOST_PAGES, f"the {role}'s walk never ended: {result.pages[-5:]}"
    assert not result.broken, f"broken links for the {role}:\n" + "\n".join(result.broken)
    assert not result.overflowing, f"pages that scroll sideways for the {role}:\n" + "\n".join(
        result.overflowing
    )


def test_on_a_phone_an_invoice_is_a_stack_of_named_values_and_still_a_table_to_a_screen_reader(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    owner = USERS[0][0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
            page.set_default_timeout(15_000)
            log_in(page, server, owner)
            page.goto(f"{server}/t/demo/invoices")

            row = (
                page.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile(r"^INV-"))).first
            )
            customer, total = row.locator("td[data-label=Customer]"), row.locator("td[data-label=Total]")
            customer_box, total_box = customer.bounding_box(), total.bounding_box()
            assert customer_box is not None and total_box is not None
            assert total_box["y"] > customer_box["y"] and total_box["x"] == customer_box["x"]
            assert "Total" in total.evaluate("cell => getComputedStyle(cell, '::before').content")
            expect(total).to_have_accessible_name(re.compile(r"^€[\d,]+\.\d\d$"))
            expect(page.get_by_role("columnheader", name="Total")).to_have_count(1)
        finally:
            browser.close()


def test_a_co_op_owed_millions_sees_its_dashboard_figures_fit_a_phone(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    owner = USERS[0][0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
            page.set_default_timeout(15_000)
            log_in(page, server, owner)
            page.goto(f"{server}/t/demo/invoices/new")
            page.get_by_role("combobox", name="Customer").select_option(label="Green Grocers SCOP (FR)")
            page.get_by_label("Line 1 description").fill("Warehouse")
            page.get_by_label("Line 1 quantity").fill("1")
            page.get_by_label("Line 1 unit price").fill("1234567")
            page.get_by_label("Line 1 VAT rate in percent").fill("20")
            page.get_by_role("button", name="Save draft").click()
            page.get_by_role("button", name="Issue").click()
            expect(page.get_by_role("status")).to_contain_text("Issued as")

            page.goto(f"{server}/t/demo/")
            expect(page.get_by_text(re.compile(r"€1,\d{3},\d{3}\.\d\d")).first).to_be_visible()
            cut_off = page.locator(".stats dd").evaluate_all(
                "figures => figures.filter(dd => dd.scrollWidth > dd.clientWidth).map(dd => dd.textContent)"
            )
            assert not cut_off, f"figures wider than their box at {WIDTHS[0]} px: {cut_off}"
            assert overflow(page) <= 0, f"the dashboard is {overflow(page)} px too wide at {WIDTHS[0]} px"
        finally:
            browser.close()


def test_a_long_unbroken_name_wraps_instead_of_widening_the_page(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    name = "nightlyaccountingexport@ledger.bookkeepingpartners.example"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
            page.set_default_timeout(15_000)
            log_in(page, server, USERS[0][0])
            page.goto(f"{server}/account/tokens")
            page.get_by_label("Name").fill(name)
            page.get_by_role("button", name="Create token").click()
            expect(page.get_by_role("heading", name="Token created")).to_be_visible()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                assert overflow(page) <= 0, f"the new token's page scrolls sideways at {width} px"

            page.goto(f"{server}/account/tokens")
            expect(page.get_by_role("rowheader", name=name)).to_be_visible()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                assert overflow(page) <= 0, f"the list of tokens scrolls sideways at {width} px"
        finally:
            browser.close()
