"""Draft previews: laid out once while the draft is unchanged, again when it changes, and stopped when
they overrun, so one co-op's drafts cannot hold up everyone's PDFs."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import threading
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from core.app import create_app
from core.registry import ModuleRegistry
from core.settings import Settings
from modules.invoicing.services import previews
from tests.conftest import Coop, World, same_loop_client
from tests.modules.invoicing.conftest import invoice_body, make_customer

Client = AsyncTestClient[Litestar]


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The snapshots sent to the preview lane, in order."""
    sent: list[dict[str, Any]] = []
    real = previews._render

    def counting(data: dict[str, Any], seconds: float) -> bytes:
        sent.append(data)
        return real(data, seconds)

    monkeypatch.setattr(previews, "_render", counting)
    return sent


async def test_an_unchanged_draft_is_laid_out_once_and_a_changed_one_again(
    client: Client, shop: Coop, renders: list[dict[str, Any]]
) -> None:
    customer = await make_customer(client, shop)
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    url = f"{shop.api}/invoices/{draft['id']}/pdf"

    first = await client.get(url, headers=shop.owner.headers)
    again = await client.get(url, headers=shop.owner.headers)
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert again.content == first.content
    assert "Vegetable boxes" in text_of(first.content)
    assert len(renders) == 1

    changed = await client.patch(
        f"{shop.api}/invoices/{draft['id']}",
        json={
            "lines": [
                {"description": "Fruit crates", "quantity": "3", "unit_price": "7.00", "vat_rate": "5.5"}
            ]
        },
        headers=shop.owner.headers,
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(url, headers=shop.owner.headers)
    assert after.status_code == 200
    assert "Fruit crates" in text_of(after.content)
    assert len(renders) == 2


async def test_a_preview_that_overruns_is_stopped_and_the_next_one_is_laid_out(
    settings: Settings, registry: ModuleRegistry, client: Client, shop: Coop
) -> None:
    customer = await make_customer(client, shop)
    draft = (
        await client.post(
            f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
        )
    ).json()
    hurried = create_app(dataclasses.replace(settings, preview_seconds=0.001), registry)
    async with AsyncTestClient(app=hurried) as impatient:
        stopped = await impatient.get(f"{shop.api}/invoices/{draft['id']}/pdf", headers=shop.owner.headers)
    assert stopped.status_code == 503, stopped.text
    assert stopped.headers["retry-after"] == "1"
    assert stopped.json()["type"].endswith("invoicing/preview-too-slow")

    laid_out = await client.get(f"{shop.api}/invoices/{draft['id']}/pdf", headers=shop.owner.headers)
    assert laid_out.status_code == 200, laid_out.text
    assert "DRAFT" in text_of(laid_out.content)


async def test_a_coop_asking_for_more_previews_at_once_than_its_share_is_told_to_retry(
    app: Litestar, world: World, shop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = await world.coop(modules=("invoicing",))
    gate = threading.Event()

    def held(data: dict[str, Any], seconds: float) -> bytes:
        gate.wait(10)
        return b"%PDF-1.7 held"

    monkeypatch.setattr(previews, "_render", held)
    async with same_loop_client(app) as browser:  # requests at once, on this test's loop
        drafts = []
        for coop in (shop, shop, shop, other):
            customer = await make_customer(browser, coop)
            body = invoice_body(customer["id"])
            created = await browser.post(f"{coop.api}/invoices", json=body, headers=coop.owner.headers)
            drafts.append((coop, created.json()))
        asked = [
            asyncio.create_task(
                browser.get(f"{coop.api}/invoices/{draft['id']}/pdf", headers=coop.owner.headers)
            )
            for coop, draft in drafts[:3]
        ]
        done, _ = await asyncio.wait(asked, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        refused = done.pop().result()
        elsewhere = asyncio.create_task(
            browser.get(f"{other.api}/invoices/{drafts[3][1]['id']}/pdf", headers=other.owner.headers)
        )
        await asyncio.sleep(0.2)
        gate.set()
        answers = [await task for task in asked]
        other_answer = await elsewhere
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"]
    assert sorted(answer.status_code for answer in answers) == [200, 200, 429]
    assert other_answer.status_code == 200
