"""Payment reminders for overdue invoices.

A tenant configures the days after the due date at which each reminder level is sent
(``InvoicingSettings.reminder_days``, e.g. ``[7, 21, 45]``). A run sends, per unpaid invoice, at most
one reminder: the level after the last one sent, once the invoice is overdue by that level's days and
(so that a late first run does not send every level on consecutive days) the previous reminder is at
least as old as the gap between the two levels. Levels are never skipped and never sent twice: the
reminder row (primary key: invoice and level) is the claim on a level.

The claim and the mail of one level are ``reminder_claims``'s; their wording is ``reminder_wording``'s.
Each reminder counts against the tenant's mail quota (``core.mail_quota``); a run that meets it stops
and reports the rest as failed, for the next run to send.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, mail
from core.db.engine import Database
from core.db.lookup import fetch
from core.db.tenancy import all_tenants
from core.errors import InvalidInput
from core.mail_quota import QuotaExceeded
from core.models import Party, Tenant, TenantModule
from core.settings import Settings
from core.text import check_text
from modules.invoicing.errors import NotRemindable
from modules.invoicing.models import Document, Reminder
from modules.invoicing.services.reminder_claims import HELD, DueReminder, send_reminder
from modules.invoicing.services.settings import get_settings
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind

__all__ = [
    "ReminderOutcome",
    "ReminderReport",
    "daily_reminders",
    "pause_reminders",
    "reminders_sent",
    "send_due_reminders",
    "tenants_with_invoicing",
]

log = logging.getLogger(__name__)

MAX_CONSECUTIVE_FAILURES = 3
"""After this many mails in a row fail, the run stops: the server is down; the next run retries."""


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    invoice_id: str
    number: str | None
    level: int
    recipient: str
    reason: str = ""


@dataclass(slots=True)
class ReminderReport:
    """What one run did, for the person or the scheduler that started it."""

    tenant: str
    today: date
    sent: list[ReminderOutcome] = field(default_factory=list)
    skipped: list[ReminderOutcome] = field(default_factory=list)
    """Due, but not sendable (no e-mail address): reported on every run until fixed; or being sent by
    another run at the same moment."""
    failed: list[ReminderOutcome] = field(default_factory=list)
    """The mail server did not take it; nothing was recorded, the next run tries again."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "today": self.today.isoformat(),
            "sent": [asdict(o) for o in self.sent],
            "skipped": [asdict(o) for o in self.skipped],
            "failed": [asdict(o) for o in self.failed],
        }


def _dated(value: datetime) -> date:
    return value.date()


def _next_level(
    due_date: date, level: int, last_sent: datetime | None, days: list[int], today: date
) -> int | None:
    """The level to send today, if any: the one after ``level``, when its time has come."""
    if level >= len(days):
        return None
    overdue = (today - due_date).days
    if overdue < days[level]:
        return None
    if (
        level > 0
        and last_sent is not None
        and (today - _dated(last_sent)).days < days[level] - days[level - 1]
    ):
        return None
    return level + 1


async def _candidates(session: AsyncSession, days: list[int], today: date) -> list[DueReminder]:
    """Unpaid invoices whose next reminder level is due today, oldest due first."""
    rows = await session.execute(
        select(
            Document.id,
            Document.number,
            Document.due_date,
            Document.reminder_level,
            Reminder.sent_at,
            Party.email,
        )
        .join(Party, and_(Party.tenant_id == Document.tenant_id, Party.id == Document.customer_id))
        .outerjoin(
            Reminder,
            and_(
                Reminder.tenant_id == Document.tenant_id,
                Reminder.document_id == Document.id,
                Reminder.level == Document.reminder_level,
            ),
        )
        .where(
            Document.kind == DocumentKind.INVOICE,
            Document.state.in_(OPEN_STATES),
            Document.amount_due > Document.amount_settled,
            Document.due_date <= today - timedelta(days=days[0]),
            Document.reminder_level < len(days),
            Document.reminders_paused.is_(False),
        )
        .order_by(Document.due_date, Document.id)
    )
    due: list[DueReminder] = []
    for invoice_id, number, due_date, level, last_sent, email in rows:
        next_level = None if due_date is None else _next_level(due_date, level, last_sent, days, today)
        if next_level is not None:
            due.append(DueReminder(invoice_id, number, next_level, (email or "").strip() or None))
    return due


async def pause_reminders(
    session: AsyncSession, invoice_id: uuid.UUID, *, paused: bool, reason: str, actor_id: uuid.UUID | None
) -> Document:
    """Stop (``paused``) or start again the reminders of one unpaid invoice, with the reason in the
    audit log; asking for the state it is already in changes nothing. The caller commits."""
    reason = check_text(reason, "reason").strip()
    if len(reason) > 500:
        raise InvalidInput.field("reason", "must be at most 500 characters")
    document = await fetch(session, Document, invoice_id, what="invoice", for_update=True)
    if document.kind != DocumentKind.INVOICE or document.state not in OPEN_STATES:
        raise NotRemindable()
    if document.reminders_paused != paused:
        document.reminders_paused = paused
        await audit.record(
            session,
            actor_id=actor_id,
            object_type="invoice",
            object_id=document.id,
            action="pause_reminders" if paused else "resume_reminders",
            changes={"reason": reason} if reason else {},
        )
    return document


async def reminders_sent(session: AsyncSession, invoice_id: uuid.UUID) -> list[Reminder]:
    """The reminders sent for an invoice, first level first."""
    found = await session.scalars(
        select(Reminder)
        .where(Reminder.document_id == invoice_id, Reminder.sent_at.is_not(None))
        .order_by(Reminder.level)
    )
    return list(found.all())


async def send_due_reminders(
    database: Database,
    tenant_id: uuid.UUID,
    *,
    today: date,
    settings: Settings,
    actor_id: uuid.UUID | None = None,
) -> ReminderReport:
    """Send every reminder due on ``today`` in one tenant; each in its own transaction."""
    async with database.transaction(tenant_id=tenant_id) as session:
        tenant = await session.get_one(Tenant, tenant_id)
        invoicing = await get_settings(session)
        days = sorted({int(d) for d in invoicing.reminder_days or () if int(d) >= 0})
        config = mail.smtp_config(settings, invoicing.smtp)
    report = ReminderReport(tenant=tenant.slug, today=today)
    if not days:
        return report
    async with database.session(write=False, tenant_id=tenant_id) as session:
        candidates = await _candidates(session, days, today)
    failures = 0
    quota_used_up = False
    for due in candidates:
        outcome = ReminderOutcome(str(due.invoice_id), due.number, due.level, due.email or "")
        if due.email is None:
            report.skipped.append(_with(outcome, "the customer has no e-mail address"))
            continue
        if failures >= MAX_CONSECUTIVE_FAILURES:
            report.failed.append(_with(outcome, "not tried: the mail server failed repeatedly"))
            continue
        if quota_used_up:
            report.failed.append(_with(outcome, "not tried: the co-op's mail quota is used up"))
            continue
        try:
            unsent = await send_reminder(
                database, tenant_id, due, config=config, today=today, actor_id=actor_id, install=settings
            )
        except QuotaExceeded as exc:
            quota_used_up = True
            report.failed.append(_with(outcome, exc.detail))
            continue
        except mail.MailError as exc:
            failures += 1
            log.warning("reminder %s for %s not sent: %s", due.level, due.number, exc.detail)
            report.failed.append(_with(outcome, exc.detail))
            continue
        failures = 0
        if unsent is None:
            report.sent.append(outcome)
        elif unsent == HELD:
            report.skipped.append(_with(outcome, HELD))
    return report


def _with(outcome: ReminderOutcome, reason: str) -> ReminderOutcome:
    return ReminderOutcome(outcome.invoice_id, outcome.number, outcome.level, outcome.recipient, reason)


async def tenants_with_invoicing(database: Database) -> list[tuple[uuid.UUID, str, date]]:
    """Every tenant with invoicing switched on: id, slug and the calendar day it is there."""
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(Tenant.id, Tenant.slug, Tenant.timezone)
            .join(TenantModule, TenantModule.tenant_id == Tenant.id)
            .where(TenantModule.module == "invoicing")
            .order_by(Tenant.slug)
            .execution_options(**all_tenants())
        )
        return [(tid, slug, datetime.now(ZoneInfo(tz or "UTC")).date()) for tid, slug, tz in rows]


async def daily_reminders(database: Database, settings: Settings, tenant_id: uuid.UUID, today: date) -> None:
    """The scheduler's daily run (``coop invoicing send-reminders`` does the same by hand)."""
    await send_due_reminders(database, tenant_id, today=today, settings=settings)
