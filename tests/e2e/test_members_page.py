"""The members page in a real browser against a real server: log in as the demo co-op's owner, add a
member with the form, and find it in the list and through the live search box."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
COOP = str(Path(sys.executable).parent / "coop")
SCREENSHOT = Path(os.environ.get("COOPSTACK_E2E_SCREENSHOT", "/tmp/members.png"))
DEMO_EMAIL = "demo@coopstack.test"
DEMO_PASSWORD = "demo-coop-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _coop(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([COOP, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"coop {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install with the demo co-op, served by ``coop serve`` on a free port; yields its URL."""
    _need_chromium()
    home = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "COOPSTACK_DATABASE_URL": f"sqlite:///{home / 'e2e.db'}",
        "COOPSTACK_VAR_DIR": str(home / "var"),
        "COOPSTACK_PASSWORD_TIME_COST": "1",
        "COOPSTACK_PASSWORD_MEMORY_KIB": "1024",
    }
    _coop(env, "db", "upgrade")
    assert DEMO_EMAIL in _coop(env, "demo")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [COOP, "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server never became healthy:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def test_an_owner_adds_a_member_and_finds_it_in_the_list_and_by_search(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)

            page.goto(f"{server}/t/demo/members")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.get_by_label("E-mail").fill(DEMO_EMAIL)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()

            expect(page).to_have_url(f"{server}/t/demo/members")
            expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
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

            page.get_by_label("Search members").press_sequentially("harbour", delay=40)
            results = page.locator("#member-rows")
            expect(results.get_by_role("link", name="Green Grocers SCOP")).to_have_count(0)
            expect(results.get_by_role("link", name="Harbour Fishers Coop")).to_be_visible()
            expect(page).to_have_url(re.compile(r"[?&]q=harbour"))
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            row.get_by_role("link", name="Harbour Fishers Coop").click()
            expect(page.get_by_role("heading", name="Harbour Fishers Coop", level=1)).to_be_visible()
            expect(page.get_by_role("button", name="Suspend")).to_be_visible()
        finally:
            browser.close()
