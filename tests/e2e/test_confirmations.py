"""A destructive action asks first, in a real browser, under the pages' Content-Security-Policy (which
refuses inline handlers, so the question comes from the install's own script)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, DEMO_EMAIL, DEMO_PASSWORD, demo_server, need_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e-confirm")) as base_url:
        yield base_url


def test_deleting_a_draft_asks_first_and_a_no_keeps_it(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=server) as api:
        assert api.post(
            "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        ).is_success
        drafts = api.get("/api/v1/tenants/demo/invoices", params={"state": "draft", "kind": "invoice"}).json()
        draft = drafts["items"][0]["id"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            blocked: list[str] = []
            page.on(
                "console",
                lambda message: blocked.append(message.text) if "Content Security" in message.text else None,
            )
            page.goto(f"{server}/login")
            page.get_by_label("E-mail").fill(DEMO_EMAIL)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.goto(f"{server}/t/demo/invoices/{draft}")
            asked: list[str] = []

            def answer_no(dialog: object) -> None:
                asked.append(dialog.message)  # type: ignore[attr-defined]
                dialog.dismiss()  # type: ignore[attr-defined]

            page.once("dialog", answer_no)
            page.get_by_role("button", name=re.compile("Delete", re.I)).click()
            page.wait_for_timeout(300)
            assert asked == ["Delete this draft? This cannot be undone."]
            expect(page).to_have_url(re.compile(f"/invoices/{draft}$"))
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name=re.compile("Delete", re.I)).click()
            expect(page).to_have_url(re.compile(r"/t/demo/invoices"))
            assert page.request.get(f"{server}/t/demo/invoices/{draft}").status == 404
            assert blocked == []
        finally:
            browser.close()
