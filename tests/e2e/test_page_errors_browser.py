"""A refused mail on a phone, in a real browser: the bookkeeper sends an invoice while the mail server is
down, and the page comes back showing why right where the send form is, not above the fold."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from core.demo import DEMO_PASSWORD, USERS
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, demo_server, need_chromium

pytestmark = pytest.mark.browser


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo co-op, its mail server a port where nothing listens; yields its URL."""
    need_chromium()
    home = tmp_path_factory.mktemp("e2e-errors")
    with demo_server(home, COOPSTACK_SMTP_HOST="127.0.0.1", COOPSTACK_SMTP_PORT=str(closed_port())) as url:
        yield url


def test_a_refused_mail_is_shown_and_announced_beside_the_send_form_on_a_phone(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    bookkeeper = next(email for email, _, role in USERS if role == "bookkeeper")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(15_000)
            page.goto(f"{server}/t/demo/invoices")
            page.get_by_label("E-mail").fill(bookkeeper)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("link", name=re.compile(r"^INV-\d{4}-\d{5}$")).first.click()

            send = page.locator("#send")
            send.get_by_label("To", exact=True).fill("books@grocers.example")
            send.get_by_role("button", name=re.compile("^Send")).click()

            alert = send.get_by_role("alert")
            expect(alert).to_contain_text("could not be reached or refused the message")
            expect(alert).to_be_in_viewport()
            expect(page.get_by_role("alert")).to_have_count(1)
        finally:
            browser.close()
