"""What a tenant can make the install send: only to mail servers on the public internet, within its
quota, under the install's identity. Real local SMTP servers (aiosmtpd); the install's rules as an
operator would set them, not the test suite's loopback allowance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from core.app import create_app
from core.db.engine import Database
from core.mail import FAILED
from core.models import Tenant
from core.registry import ModuleRegistry
from core.settings import SMTP_PORTS, Settings
from modules.invoicing.services.settings import settings_for_change
from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body, make_customer
from tests.modules.invoicing.test_sending import Inbox, free_port

Client = AsyncTestClient[Litestar]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield inbox, port
    finally:
        server.stop()


@asynccontextmanager
async def install(settings: Settings, registry: ModuleRegistry, **changes: Any) -> AsyncIterator[Client]:
    """A served install with the operator's default mail rules (``changes`` on top), on the tests'
    database: one more worker of the same install."""
    rules = replace(settings, **{"smtp_allowed_networks": (), "smtp_allowed_ports": SMTP_PORTS, **changes})
    async with AsyncTestClient(app=create_app(rules, registry)) as client:
        yield client


async def issued_invoice(client: Client, shop: Coop) -> dict[str, Any]:
    customer = await make_customer(client, shop)
    body = invoice_body(customer["id"])
    draft = (await client.post(f"{shop.api}/invoices", json=body, headers=shop.owner.headers)).json()
    answer = await client.post(f"{shop.api}/invoices/{draft['id']}/issue", headers=shop.owner.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def send(client: Client, shop: Coop, invoice: dict[str, Any], *to: str) -> Any:
    return await client.post(
        f"{shop.api}/invoices/{invoice['id']}/send", json={"to": list(to)}, headers=shop.owner.headers
    )


async def test_a_mail_server_inside_the_hosting_network_or_on_another_port_is_refused(
    settings: Settings, registry: ModuleRegistry, shop: Coop
) -> None:
    url = f"{shop.api}/invoicing/settings"
    async with install(settings, registry) as client:
        scan = await client.patch(
            url, json={"smtp": {"host": "10.0.0.5", "port": 22}}, headers=shop.owner.headers
        )
        assert scan.status_code == 422, scan.text
        assert {e["field"] for e in scan.json()["errors"]} == {"smtp.host", "smtp.port"}
        inside = (
            "127.0.0.1",
            "localhost",
            "::1",
            "192.168.1.10",
            "100.64.0.1",
            "169.254.169.254",
            "fd00:ec2::254",
            "::ffff:10.0.0.5",
            "64:ff9b::a00:5",
            "224.0.0.1",
            "0.0.0.0",  # noqa: S104 - a host a tenant names, not one this binds to
        )
        for host in inside:
            answer = await client.patch(
                url, json={"smtp": {"host": host, "port": 587}}, headers=shop.owner.headers
            )
            assert answer.status_code == 422, (host, answer.text)
            assert [e["field"] for e in answer.json()["errors"]] == ["smtp.host"], host
        other_port = await client.patch(
            url, json={"smtp": {"host": "mail.example.test", "port": 2525}}, headers=shop.owner.headers
        )
        assert [e["field"] for e in other_port.json()["errors"]] == ["smtp.port"]
        shown = await client.get(url, headers=shop.owner.headers)
        assert shown.json()["smtp"] is None
        for port in (25, 465, 587):
            accepted = await client.patch(
                url, json={"smtp": {"host": "mail.example.test", "port": port}}, headers=shop.owner.headers
            )
            assert accepted.status_code == 200, accepted.text
    async with install(settings, registry, smtp_allowed_ports=frozenset({2525})) as client:
        allowed = await client.patch(
            url, json={"smtp": {"host": "mail.example.test", "port": 2525}}, headers=shop.owner.headers
        )
        assert allowed.status_code == 200, allowed.text


async def test_a_saved_mail_server_that_now_leads_inside_the_network_gets_no_connection(
    settings: Settings, registry: ModuleRegistry, shop: Coop, database: Database, smtp: tuple[Inbox, int]
) -> None:
    """The settings were saved when the name led elsewhere (DNS changes): each send checks again."""
    inbox, port = smtp
    async with database.transaction(tenant_id=shop.id) as session:
        stored = await settings_for_change(session)
        stored.smtp = {"host": "127.0.0.1", "port": port, "sender": "billing@coop.example"}
    async with install(settings, registry, smtp_allowed_ports=frozenset({port})) as client:
        invoice = await issued_invoice(client, shop)
        answer = await send(client, shop, invoice, "accounts@grocers.example")
        assert answer.status_code == 502, answer.text
        assert answer.json()["detail"] == FAILED
        assert str(port) not in answer.text and "127.0.0.1" not in answer.text
        shown = await client.get(f"{shop.api}/invoices/{invoice['id']}", headers=shop.owner.headers)
        assert shown.json()["sent_at"] is None
    assert inbox.envelopes == []
    async with install(
        settings,
        registry,
        smtp_allowed_ports=frozenset({port}),
        smtp_allowed_networks=settings.smtp_allowed_networks,
    ) as client:
        relayed = await send(client, shop, invoice, "accounts@grocers.example")
        assert relayed.status_code == 200, relayed.text
    assert len(inbox.envelopes) == 1


async def test_mail_from_the_install_names_the_coop_via_the_install_and_replies_go_to_the_coop(
    settings: Settings, registry: ModuleRegistry, shop: Coop, database: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    async with database.transaction() as session:
        await session.execute(update(Tenant).where(Tenant.id == shop.id).values(email="books@coop.example"))
    operator = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "mail@coopstack.example"}
    async with install(settings, registry, **operator) as client:
        invoice = await issued_invoice(client, shop)
        answer = await send(client, shop, invoice, "accounts@grocers.example")
        assert answer.status_code == 200, answer.text
    message = inbox.messages()[0]
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == (
        f"Co-op {shop.slug} SCIC via Coopstack",
        "mail@coopstack.example",
    )
    assert message["Reply-To"] == "books@coop.example"
    assert inbox.envelopes[0].mail_from == "mail@coopstack.example"


async def test_a_coop_over_its_hourly_mail_quota_is_told_when_to_retry_on_every_worker(
    settings: Settings, registry: ModuleRegistry, world: World, shop: Coop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    operator = {"smtp_host": "127.0.0.1", "smtp_port": port, "mail_per_hour": 3, "mail_per_day": 100}
    async with install(settings, registry, **operator) as one, install(settings, registry, **operator) as two:
        invoice = await issued_invoice(one, shop)
        first = await send(one, shop, invoice, "a@grocers.example", "b@grocers.example")
        assert first.status_code == 200, first.text
        over = await send(two, shop, invoice, "c@grocers.example", "d@grocers.example")
        assert over.status_code == 429, over.text
        assert over.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(over.headers["retry-after"]) <= 3600
        assert len(inbox.envelopes) == 1
        last = await send(two, shop, invoice, "c@grocers.example")
        assert last.status_code == 200, last.text
        assert (await send(one, shop, invoice, "e@grocers.example")).status_code == 429
        other = await world.coop(modules=("invoicing",))  # its quota is its own
        theirs = await send(one, other, await issued_invoice(one, other), "a@b.example", "c@d.example")
        assert theirs.status_code == 200, theirs.text
    assert len(inbox.envelopes) == 3


async def test_a_coop_over_its_daily_mail_quota_waits_for_the_next_day(
    settings: Settings, registry: ModuleRegistry, shop: Coop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    operator = {"smtp_host": "127.0.0.1", "smtp_port": port, "mail_per_hour": 100, "mail_per_day": 2}
    async with install(settings, registry, **operator) as client:
        invoice = await issued_invoice(client, shop)
        for to in ("a@grocers.example", "b@grocers.example"):
            assert (await send(client, shop, invoice, to)).status_code == 200
        over = await send(client, shop, invoice, "c@grocers.example")
        assert over.status_code == 429, over.text
        assert 1 <= int(over.headers["retry-after"]) <= 86400
    assert len(inbox.envelopes) == 2
