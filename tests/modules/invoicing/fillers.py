"""Rows in every invoicing table of a co-op, made through the API, for the tenant-isolation walk
(tests/core/test_tenant_isolation.py)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Coop


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        return "250 OK"


async def fill_invoicing(client: AsyncTestClient[Litestar], coop: Coop) -> None:
    """Settings, a document with a line and an allowance, its stored PDF, a payment and its allocation,
    a recurring plan and a reminder: one row at least in each invoicing table."""
    headers = coop.owner.headers

    async def ok(answer: Any) -> dict[str, Any]:
        assert 200 <= answer.status_code < 300, answer.text
        return answer.json() if answer.content else {}

    await ok(
        await client.patch(
            coop.api,
            headers=headers,
            json={"vat_id": "FR40303265045", "address": {"city": "Lyon", "country": "FR"}},
        )
    )
    customer = await ok(
        await client.post(
            f"{coop.api}/parties",
            headers=headers,
            json={
                "kind": "organisation",
                "name": "Filled Customer",
                "email": "accounts@customer.test",
                "address": {"city": "Gent", "country": "BE"},
            },
        )
    )
    long_ago = (datetime.now(UTC) - timedelta(days=90)).date().isoformat()
    lines = [{"description": "Crates", "quantity": "3", "unit_price": "12.00", "vat_rate": "20"}]
    draft = await ok(
        await client.post(
            f"{coop.api}/invoices",
            headers=headers,
            json={
                "customer_id": customer["id"],
                "issue_date": long_ago,
                "lines": lines,
                "adjustments": [{"amount": "1.00", "vat_rate": "20", "reason": "Loyalty"}],
            },
        )
    )
    await ok(await client.post(f"{coop.api}/invoices/{draft['id']}/issue", headers=headers))
    pdf = await client.get(f"{coop.api}/invoices/{draft['id']}/pdf", headers=headers)
    assert pdf.status_code == 200
    await ok(
        await client.post(
            f"{coop.api}/payments",
            headers=headers,
            json={"invoice_id": draft["id"], "amount": "5.00", "date": long_ago, "method": "bank_transfer"},
        )
    )
    await ok(
        await client.post(
            f"{coop.api}/recurring",
            headers=headers,
            json={
                "customer_id": customer["id"],
                "frequency": "monthly",
                "start_date": "2099-01-31",
                "lines": lines,
            },
        )
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(_Sink(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        await ok(
            await client.patch(
                f"{coop.api}/invoicing/settings",
                headers=headers,
                json={
                    "smtp": {
                        "host": "127.0.0.1",
                        "port": port,
                        "sender": "books@coop.test",
                        "starttls": False,
                    }
                },
            )
        )
        report = await ok(await client.post(f"{coop.api}/reminders/run", headers=headers))
        assert report, "the reminder run reported nothing"
    finally:
        server.stop()
