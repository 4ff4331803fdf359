"""Fixtures for invoicing: a co-op with the module on, a customer, and helpers to write invoices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from tests.conftest import Coop, World


@pytest.fixture
async def shop(world: World) -> Coop:
    """A co-op with invoicing on and its legal details filled in."""
    return await world.coop(modules=("invoicing",))


async def make_customer(
    client: AsyncTestClient[Litestar],
    coop: Coop,
    *,
    name: str = "Green Grocers SCOP",
    country: str = "FR",
    vat_id: str | None = "FR40303265045",
    locale: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "organisation",
        "name": name,
        "address": {"line1": "1 Market Street", "postcode": "69002", "city": "Lyon", "country": country},
    }
    if vat_id:
        body["vat_id"] = vat_id
    if locale:
        body["locale"] = locale
    answer = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def invoice_body(customer_id: str, *lines: tuple[str, str, str, str], **extra: Any) -> dict[str, Any]:
    """An invoice with lines given as (description, quantity, unit_price, vat_rate)."""
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [{"description": d, "quantity": q, "unit_price": p, "vat_rate": r} for d, q, p, r in lines]
        or [{"description": "Vegetable boxes", "quantity": "2", "unit_price": "10.00", "vat_rate": "20"}],
        **extra,
    }


@asynccontextmanager
async def published(name: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The payloads of the events ``name`` published while inside."""
    seen: list[dict[str, Any]] = []

    async def handler(session: AsyncSession, event: events.Event) -> None:
        seen.append(dict(event.payload))

    events.bus().subscribe(name, handler)
    try:
        yield seen
    finally:
        events.bus().unsubscribe(name, handler)
