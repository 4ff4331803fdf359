"""Reminders for overdue invoices, delivered to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.cli import main
from core.db.engine import Database
from core.settings import Settings
from modules.invoicing.models import Document, Reminder
from modules.invoicing.services.reminder_claims import CLAIM_EXPIRES
from modules.invoicing.services.reminders import ReminderReport, send_due_reminders
from modules.invoicing.services.settings import settings_for_change
from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import invoice_body
from tests.pages import log_in, submit, text_of

Client = AsyncTestClient[Litestar]
TODAY = date.today()  # noqa: DTZ011 - the test co-ops live in UTC


class Inbox:
    """An SMTP handler that keeps every message it is given. Made ``slow``, it says when a message has
    arrived and answers only once ``release`` is set, like a mail server that takes its time."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.slow = False
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        if self.slow:
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 30)  # the server's own loop stays free
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


class MailServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def coop(world: World, database: Database, smtp: MailServer) -> Coop:
    """A co-op with invoicing on, mailing through the local server, reminding at 7, 21 and 45 days."""
    found = await world.coop(modules=("invoicing",))
    async with database.transaction(tenant_id=found.id) as session:
        settings = await settings_for_change(session)
        settings.reminder_days = [7, 21, 45]
        settings.smtp = {"host": "127.0.0.1", "port": smtp.port, "sender": "accounts@coop.test"}
    return found


async def customer(client: Client, coop: Coop, *, email: str | None, locale: str | None = None) -> str:
    body: dict[str, Any] = {
        "kind": "organisation",
        "name": "Slow Payer SARL",
        "address": {"line1": "2 quai Sud", "postcode": "69002", "city": "Lyon", "country": "FR"},
    }
    if email:
        body["email"] = email
    if locale:
        body["locale"] = locale
    answer = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def overdue_invoice(client: Client, coop: Coop, customer_id: str, *, days: int) -> dict[str, Any]:
    """An issued invoice of 24.00 whose due date was ``days`` ago."""
    body = invoice_body(
        customer_id,
        issue_date=(TODAY - timedelta(days=days + 30)).isoformat(),
        due_date=(TODAY - timedelta(days=days)).isoformat(),
    )
    draft = await client.post(f"{coop.api}/invoices", json=body, headers=coop.owner.headers)
    assert draft.status_code == 201, draft.text
    issued = await client.post(f"{coop.api}/invoices/{draft.json()['id']}/issue", headers=coop.owner.headers)
    assert issued.status_code == 200, issued.text
    return dict(issued.json())


async def run(database: Database, settings: Settings, coop: Coop, today: date = TODAY) -> ReminderReport:
    return await send_due_reminders(database, coop.id, today=today, settings=settings)


async def levels(database: Database, coop: Coop, invoice_id: str) -> list[int]:
    """The reminder levels recorded as sent for an invoice (and its reminder level agrees)."""
    async with database.session(write=False, tenant_id=coop.id) as session:
        found = list(
            (
                await session.scalars(
                    select(Reminder.level)
                    .where(Reminder.document_id == uuid.UUID(invoice_id), Reminder.sent_at.is_not(None))
                    .order_by(Reminder.level)
                )
            ).all()
        )
        document = await session.get_one(Document, (coop.id, uuid.UUID(invoice_id)))
    assert document.reminder_level == max(found or [0])
    return found


async def test_an_overdue_invoice_gets_level_one_once_then_level_two(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=10)
    soon = await overdue_invoice(client, coop, buyer, days=3)  # not yet 7 days overdue

    first = await run(database, settings, coop)
    assert [(r.number, r.level, r.recipient) for r in first.sent] == [
        (bill["number"], 1, "ap@slow-payer.test")
    ]
    assert (first.skipped, first.failed) == ([], [])
    again = await run(database, settings, coop)
    assert again.sent == []
    assert len(smtp.inbox.messages) == 1
    recipients, message = smtp.inbox.messages[0]
    assert recipients == ["ap@slow-payer.test"]
    assert message["Subject"] == f"Reminder 1: invoice {bill['number']}"
    assert message["From"] == "accounts@coop.test"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert bill["number"] in body
    assert "€24.00" in body
    assert "FR14 2004" in body or "FR1420041010050500013M02606" in body
    attachments = [part.get_content_type() for part in message.iter_attachments()]
    assert attachments == ["application/pdf"]
    assert await levels(database, coop, bill["id"]) == [1]

    # 21 days overdue, but the first reminder is only 11 days old (the levels are 14 days apart): wait.
    later = await run(database, settings, coop, TODAY + timedelta(days=11))
    assert [(r.number, r.level) for r in later.sent] == [(soon["number"], 1)]  # now 14 days overdue
    second = await run(database, settings, coop, TODAY + timedelta(days=14))
    assert [(r.number, r.level) for r in second.sent] == [(bill["number"], 2)]
    assert smtp.inbox.messages[-1][1]["Subject"] == f"Reminder 2: invoice {bill['number']}"
    assert (await run(database, settings, coop, TODAY + timedelta(days=14))).sent == []
    third = await run(database, settings, coop, TODAY + timedelta(days=38))
    assert sorted((r.number, r.level) for r in third.sent) == [(bill["number"], 3), (soon["number"], 2)]
    assert await levels(database, coop, bill["id"]) == [1, 2, 3]
    final = await run(database, settings, coop, TODAY + timedelta(days=400))
    assert [(r.number, r.level) for r in final.sent] == [(soon["number"], 3)]
    assert (await run(database, settings, coop, TODAY + timedelta(days=800))).sent == []
    assert len(smtp.inbox.messages) == 6


async def test_a_very_late_invoice_starts_at_level_one(
    client: Client, coop: Coop, database: Database, settings: Settings
) -> None:
    buyer = await customer(client, coop, email="late@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=60)
    report = await run(database, settings, coop)
    assert [(r.number, r.level) for r in report.sent] == [(bill["number"], 1)]
    assert (await run(database, settings, coop, TODAY + timedelta(days=1))).sent == []


async def test_paid_invoices_get_no_reminder_and_a_partly_paid_one_shows_its_balance(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test", locale="fr")
    paid = await overdue_invoice(client, coop, buyer, days=30)
    partly = await overdue_invoice(client, coop, buyer, days=30)
    for bill, amount in ((paid, "24.00"), (partly, "10.00")):
        answer = await client.post(
            f"{coop.api}/payments",
            json={"invoice_id": bill["id"], "amount": amount, "date": TODAY.isoformat(), "method": "cash"},
            headers=coop.owner.headers,
        )
        assert answer.status_code == 201, answer.text
    report = await run(database, settings, coop)
    assert [r.number for r in report.sent] == [partly["number"]]
    (_, message) = smtp.inbox.messages[0]
    assert message["Subject"] == f"Relance 1 : facture {partly['number']}"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "14,00\N{NO-BREAK SPACE}€" in text.get_content()  # the balance, not the invoice total
    assert await levels(database, coop, paid["id"]) == []


async def test_a_customer_without_an_e_mail_address_is_reported(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email=None)
    bill = await overdue_invoice(client, coop, buyer, days=8)
    report = await run(database, settings, coop)
    assert report.sent == []
    assert [(r.number, r.level, r.reason) for r in report.skipped] == [
        (bill["number"], 1, "the customer has no e-mail address")
    ]
    assert smtp.inbox.messages == []
    assert await levels(database, coop, bill["id"]) == []


async def test_a_failed_mail_records_nothing_and_the_next_run_sends_it(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    smtp.stop()
    failed = await run(database, settings, coop)
    assert failed.sent == []
    assert [(r.number, r.level) for r in failed.failed] == [(bill["number"], 1)]
    assert failed.failed[0].reason == "the mail server could not be reached or refused the message"
    assert await levels(database, coop, bill["id"]) == []
    assert await claims(database, coop, bill["id"]) == []
    smtp.start()
    retried = await run(database, settings, coop)
    assert [(r.number, r.level) for r in retried.sent] == [(bill["number"], 1)]
    assert len(smtp.inbox.messages) == 1
    assert await levels(database, coop, bill["id"]) == [1]


async def claims(database: Database, coop: Coop, invoice_id: str) -> list[int]:
    """The reminder levels claimed for an invoice and not marked sent."""
    async with database.session(write=False, tenant_id=coop.id) as session:
        found = await session.scalars(
            select(Reminder.level).where(
                Reminder.document_id == uuid.UUID(invoice_id), Reminder.sent_at.is_(None)
            )
        )
        return list(found.all())


@asynccontextmanager
async def mail_in_flight(
    database: Database, settings: Settings, coop: Coop, smtp: MailServer
) -> AsyncIterator[tuple[list[ReminderReport], anyio.CancelScope]]:
    """A reminder run whose mail a slow server holds until the block ends; its report (once done) and
    the cancel scope it runs in."""
    smtp.inbox.slow = True
    reports: list[ReminderReport] = []

    async def remind() -> None:
        reports.append(await run(database, settings, coop))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(remind)
        assert await anyio.to_thread.run_sync(smtp.inbox.arrived.wait, 30)
        try:
            yield reports, tasks.cancel_scope
        finally:
            smtp.inbox.release.set()


async def test_while_a_slow_mail_server_takes_a_reminder_the_invoice_can_be_paid(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    """No transaction (no lock on the invoice, nor SQLite's write lock) waits on the mail server."""
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    async with mail_in_flight(database, settings, coop, smtp) as (reports, _):
        assert await levels(database, coop, bill["id"]) == []  # claimed, not yet sent
        payment = {"invoice_id": bill["id"], "amount": "4.00", "date": TODAY.isoformat(), "method": "cash"}
        with anyio.fail_after(10):
            paid = await client.post(f"{coop.api}/payments", json=payment, headers=coop.owner.headers)
        assert paid.status_code == 201, paid.text
        assert smtp.inbox.messages == []  # the mail server is still holding the reminder
    assert [(r.number, r.level) for r in reports[0].sent] == [(bill["number"], 1)]
    assert len(smtp.inbox.messages) == 1
    assert await levels(database, coop, bill["id"]) == [1]
    assert (await run(database, settings, coop)).sent == []


async def test_two_runs_at_once_send_one_reminder(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    async with mail_in_flight(database, settings, coop, smtp) as (reports, _):
        meanwhile = await run(database, settings, coop)
        assert meanwhile.sent == []
        assert [(r.number, r.level, r.reason) for r in meanwhile.skipped] == [
            (bill["number"], 1, "another run is sending it")
        ]
    assert [(r.number, r.level) for r in reports[0].sent] == [(bill["number"], 1)]
    assert len(smtp.inbox.messages) == 1
    assert await levels(database, coop, bill["id"]) == [1]


async def test_a_reminder_whose_run_was_cut_off_is_sent_again_once_its_claim_expires(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    async with mail_in_flight(database, settings, coop, smtp) as (_, cut_off):
        cut_off.cancel()  # the run stops as soon as the mail server has answered
    assert len(smtp.inbox.messages) == 1  # the mail went, but the run did not live to record it
    assert await levels(database, coop, bill["id"]) == []
    assert await claims(database, coop, bill["id"]) == [1]

    held = await run(database, settings, coop)
    assert (held.sent, [r.reason for r in held.skipped]) == ([], ["another run is sending it"])
    async with database.transaction(tenant_id=coop.id) as session:  # ten minutes and more go by
        claim = await session.get_one(Reminder, (coop.id, uuid.UUID(bill["id"]), 1))
        assert claim.claimed_at is not None
        claim.claimed_at -= CLAIM_EXPIRES + timedelta(seconds=1)
    again = await run(database, settings, coop)
    assert [(r.number, r.level) for r in again.sent] == [(bill["number"], 1)]
    assert len(smtp.inbox.messages) == 2  # sent again: nobody could know the first one had left
    assert await levels(database, coop, bill["id"]) == [1]
    assert (await run(database, settings, coop)).sent == []


async def test_a_disputed_invoice_gets_no_reminder_until_its_reminders_are_resumed(
    client: Client, coop: Coop, world: World, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    disputed = await overdue_invoice(client, coop, buyer, days=9)
    other = await overdue_invoice(client, coop, buyer, days=9)
    url = f"{coop.api}/invoices/{disputed['id']}/reminders"
    pause = {"paused": True, "reason": "The customer disputes line 1"}
    paused = await client.post(url, json=pause, headers=coop.owner.headers)
    assert paused.status_code == 200, paused.text
    assert paused.json() == {
        "invoice_id": disputed["id"],
        "reminder_level": 0,
        "reminders_paused": True,
        "sent": [],
    }
    assert (await client.post(url, json=pause, headers=coop.owner.headers)).status_code == 200  # no change

    report = await run(database, settings, coop)
    assert [r.number for r in report.sent] == [other["number"]]
    assert await levels(database, coop, disputed["id"]) == []
    read = await client.get(f"{coop.api}/invoices/{disputed['id']}", headers=coop.owner.headers)
    assert read.json()["reminders_paused"] is True

    resumed = await client.post(url, json={"paused": False}, headers=coop.owner.headers)
    assert resumed.status_code == 200, resumed.text
    assert [r.number for r in (await run(database, settings, coop)).sent] == [disputed["number"]]
    history = await client.get(url, headers=coop.owner.headers)
    assert history.status_code == 200, history.text
    assert history.json()["reminder_level"] == 1
    assert [(r["level"], r["recipient"]) for r in history.json()["sent"]] == [(1, "ap@slow-payer.test")]

    audit = await client.get(
        f"{coop.api}/audit", params={"object_id": disputed["id"]}, headers=coop.owner.headers
    )
    actions = [(e["action"], e["changes"]) for e in reversed(audit.json()["items"])]
    assert ("pause_reminders", {"reason": "The customer disputes line 1"}) in actions
    assert actions.index(("resume_reminders", {})) > actions.index(
        ("pause_reminders", {"reason": "The customer disputes line 1"})
    )


async def test_a_bookkeeper_pauses_and_resumes_reminders_from_the_invoice_page(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=30)
    await run(database, settings, coop)  # level 1 goes out
    page = f"/t/{coop.slug}/invoices/{bill['id']}"
    await log_in(client, coop.owner)
    shown = text_of(await client.get(page))
    assert "Reminders Level Sent To 1 " in shown and "ap@slow-payer.test" in shown
    too_long = await submit(client, f"{page}/reminders", {"paused": "true", "reason": "Disputed " * 60})
    assert too_long.status_code == 422
    assert 'aria-invalid="true"' in too_long.text and "Disputed Disputed" in too_long.text
    assert (
        "Reason: must be at most 500 characters" in text_of(too_long)
        or "must be at most 500" in too_long.text
    )
    assert "Pause reminders" in too_long.text  # nothing changed
    paused = await submit(client, f"{page}/reminders", {"paused": "true", "reason": "Disputed"})
    assert paused.status_code == 303, paused.text
    shown = text_of(await client.get(page))
    assert "Reminders are paused for this invoice." in shown
    assert "Paused: no reminder goes out for this invoice" in shown and "Resume reminders" in shown
    assert (await run(database, settings, coop, TODAY + timedelta(days=30))).sent == []
    resumed = await submit(client, f"{page}/reminders", {"paused": "false"})
    assert resumed.status_code == 303, resumed.text
    assert "Pause reminders" in text_of(await client.get(page))
    again = await run(database, settings, coop, TODAY + timedelta(days=30))
    assert [(r.number, r.level) for r in again.sent] == [(bill["number"], 2)]


async def test_a_member_sees_its_invoice_but_not_how_it_is_being_chased(
    client: Client, coop: Coop, world: World, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    pause = {"paused": True, "reason": "Disputed"}
    url = f"{coop.api}/invoices/{bill['id']}/reminders"
    assert (await client.post(url, json=pause, headers=coop.owner.headers)).status_code == 200
    member = await world.join(coop, "member", party_id=uuid.UUID(buyer))
    seen = await client.get(f"{coop.api}/invoices/{bill['id']}", headers=member.headers)
    assert seen.status_code == 200, seen.text
    assert "reminders_paused" not in seen.json() and "reminder_level" not in seen.json()
    listed = await client.get(f"{coop.api}/invoices", headers=member.headers)
    assert [("reminders_paused" in d, d["id"]) for d in listed.json()["items"]] == [(False, bill["id"])]
    assert (await client.get(url, headers=member.headers)).status_code == 403
    assert (await client.post(url, json={"paused": False}, headers=member.headers)).status_code == 403
    await log_in(client, member)
    page = text_of(await client.get(f"/t/{coop.slug}/invoices/{bill['id']}"))
    assert bill["number"] in page and "Reminders" not in page and "Paused" not in page


async def test_only_an_unpaid_issued_invoice_has_reminders_to_pause(
    client: Client, coop: Coop, world: World
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    draft = await client.post(f"{coop.api}/invoices", json=invoice_body(buyer), headers=coop.owner.headers)
    paid = await overdue_invoice(client, coop, buyer, days=9)
    payment = {"invoice_id": paid["id"], "amount": "24.00", "date": TODAY.isoformat(), "method": "cash"}
    assert (
        await client.post(f"{coop.api}/payments", json=payment, headers=coop.owner.headers)
    ).status_code == 201
    pause = {"paused": True}
    for target in (draft.json()["id"], paid["id"]):
        refused = await client.post(
            f"{coop.api}/invoices/{target}/reminders", json=pause, headers=coop.owner.headers
        )
        assert refused.status_code == 409, refused.text
        assert "not paid" in refused.json()["detail"]
    unknown = await client.post(
        f"{coop.api}/invoices/{uuid.uuid4()}/reminders", json=pause, headers=coop.owner.headers
    )
    assert unknown.status_code == 404
    url = f"{coop.api}/invoices/{bill['id']}/reminders"
    viewer = await world.join(coop, "viewer")
    assert (await client.post(url, json=pause, headers=viewer.headers)).status_code == 403
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    bad = await client.post(url, json={"paused": True, "reason": "a\x00b"}, headers=coop.owner.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"
    assert (await client.post(url, json={"paused": "yes"}, headers=coop.owner.headers)).status_code == 422
    read = await client.get(f"{coop.api}/invoices/{bill['id']}", headers=coop.owner.headers)
    assert read.json()["reminders_paused"] is False


async def test_the_api_runs_reminders_for_bookkeepers_only(
    client: Client, coop: Coop, world: World, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=8)
    viewer = await world.join(coop, "viewer")
    assert (await client.post(f"{coop.api}/reminders/run", headers=viewer.headers)).status_code == 403
    answer = await client.post(f"{coop.api}/reminders/run", headers=coop.owner.headers)
    assert answer.status_code == 200, answer.text
    assert [(r["number"], r["level"]) for r in answer.json()["sent"]] == [(bill["number"], 1)]
    again = await client.post(f"{coop.api}/reminders/run", headers=coop.owner.headers)
    assert again.json()["sent"] == []
    assert len(smtp.inbox.messages) == 1


async def test_no_reminder_goes_to_a_mail_server_inside_the_hosting_network(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    """The co-op's server (on loopback here) is refused at every connection by an install that allows
    tenants no private ranges, whatever was stored before."""
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=9)
    operator = replace(settings, smtp_allowed_networks=(), smtp_allowed_ports=frozenset({smtp.port}))
    refused = await run(database, operator, coop)
    assert [(r.number, r.reason) for r in refused.failed] == [
        (bill["number"], "the mail server could not be reached or refused the message")
    ]
    assert smtp.inbox.messages == []
    assert await levels(database, coop, bill["id"]) == []


async def test_reminders_count_against_the_coops_mail_quota(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bills = [await overdue_invoice(client, coop, buyer, days=9) for _ in range(3)]
    sparing = replace(settings, mail_per_hour=2)
    first = await run(database, sparing, coop)
    assert len(first.sent) == 2 and len(smtp.inbox.messages) == 2
    [held_back] = first.failed
    assert "2 recipients per hour" in held_back.reason
    assert {r.number for r in first.sent} | {held_back.number} == {b["number"] for b in bills}
    assert await levels(database, coop, held_back.invoice_id) == []
    assert await claims(database, coop, held_back.invoice_id) == []
    later = await run(database, settings, coop)
    assert [r.number for r in later.sent] == [held_back.number]


async def test_the_command_sends_reminders_for_one_tenant_or_all(
    client: Client, coop: Coop, database: Database, settings: Settings, smtp: MailServer
) -> None:
    buyer = await customer(client, coop, email="ap@slow-payer.test")
    bill = await overdue_invoice(client, coop, buyer, days=25)
    env = {
        "COOPSTACK_DATABASE_URL": settings.database_url,
        "COOPSTACK_SMTP_ALLOWED_NETWORKS": "127.0.0.0/8",
        "COOPSTACK_SMTP_ALLOWED_PORTS": "1-65535",
    }
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(main, ["invoicing", "send-reminders", *args], env=env, catch_exceptions=False)

    slug = coop.api.rsplit("/", 1)[1]
    result = await anyio.to_thread.run_sync(invoke, "--tenant", slug)
    assert result.exit_code == 0, result.output
    assert f"{slug}\tsent\t{bill['number']}\tlevel 1\tap@slow-payer.test" in result.output
    assert f"{slug}: 1 sent, 0 skipped, 0 failed" in result.output
    later = (TODAY + timedelta(days=14)).isoformat()
    result = await anyio.to_thread.run_sync(invoke, "--all-tenants", "--date", later)
    assert f"{slug}\tsent\t{bill['number']}\tlevel 2\tap@slow-payer.test" in result.output
    assert len(smtp.inbox.messages) == 2
    assert (await anyio.to_thread.run_sync(invoke)).exit_code == 2
    assert (await anyio.to_thread.run_sync(invoke, "--tenant", "no-such-coop")).exit_code == 1
