"""Payment reminders for overdue invoices.

A tenant configures the days after the due date at which each reminder level is sent
(``InvoicingSettings.reminder_days``, e.g. ``[7, 21, 45]``). A run sends, per unpaid invoice, at most
one reminder: the level after the last one sent, once the invoice is overdue by that level's days and
(so that a late first run does not send every level on consecutive days) the previous reminder is at
least as old as the gap between the two levels. Levels are never skipped and never sent twice: the
reminder row (primary key: invoice and level) is the claim on a level.

No transaction is open while the mail server is talking: a run claims the level in a short transaction
(the invoice locked, the row written with ``claimed_at``), commits, hands the mail to the server, then
marks the row sent, moves the invoice's level and writes the audit entry in a second one. A mail the
server refuses releases the claim (the next run sends it again). A run cut off between the two leaves
a claim that is never marked sent: once older than ``CLAIM_EXPIRES``, the next run takes it over and
sends the level again, since it cannot know whether the first mail left.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from gettext import NullTranslations
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, mail
from core.db.base import utcnow
from core.db.engine import Database
from core.db.lookup import fetch
from core.db.tenancy import all_tenants
from core.errors import InvalidInput
from core.models import Party, Tenant, TenantModule
from core.money import format_money
from core.settings import Settings
from core.text import check_text
from modules.invoicing.errors import NotRemindable
from modules.invoicing.models import Document, Reminder
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.languages import language_of, translations
from modules.invoicing.services.settings import get_settings
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind, ReminderTone

__all__ = [
    "CLAIM_EXPIRES",
    "ReminderOutcome",
    "ReminderReport",
    "pause_reminders",
    "reminder_message",
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


@dataclass(frozen=True, slots=True)
class _Due:
    invoice_id: uuid.UUID
    number: str | None
    level: int
    email: str | None


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


def reminder_message(
    document: Document,
    *,
    level: int,
    customer: str,
    seller: str,
    iban: str | None,
    today: date,
    attached: bool,
) -> tuple[str, str]:
    """The subject and text of reminder ``level`` for ``document``, in the document's language."""
    language = language_of(document.language)
    texts = translations(language)
    assert document.due_date is not None and document.issue_date is not None
    days = (today - document.due_date).days
    values = {
        "level": level,
        "number": document.number or "",
        "customer": customer,
        "issue_date": format_date(document.issue_date, format="long", locale=language),
        "due_date": format_date(document.due_date, format="long", locale=language),
        "days": days,
        "balance": format_money(document.balance, document.currency, language),
        "iban": iban or "",
    }
    body = [
        texts.gettext("Dear {customer},").format(**values),
        "",
        _reminder_paragraph(texts, level, days).format(**values),
    ]
    if iban:
        body += ["", texts.gettext("Please transfer it to IBAN {iban}, quoting {number}.").format(**values)]
    if attached:
        body += ["", texts.gettext("The invoice is attached.")]
    body += [
        "",
        texts.gettext("If you have paid in the meantime, please disregard this message."),
        "",
        texts.gettext("Kind regards,"),
        seller,
    ]
    # Translators: the subject of a reminder mail; {level} is 1, 2 or 3.
    subject = texts.gettext("Reminder {level}: invoice {number}").format(**values)
    return subject, "\n".join(body) + "\n"


def _reminder_paragraph(texts: NullTranslations, level: int, days: int) -> str:
    """What reminder ``level`` says, placeholders unfilled; every level past the third says the third's."""
    tone = ReminderTone.of(level)
    if tone == ReminderTone.FIRST:
        return texts.gettext(
            "According to our records, invoice {number} of {issue_date} was due on {due_date} and has "
            "not been paid in full yet. It may simply have slipped through; we would be grateful if you "
            "could pay the open amount of {balance}."
        )
    if tone == ReminderTone.SECOND:
        return texts.ngettext(
            "Invoice {number} of {issue_date} was due on {due_date}, {days} day ago, and despite our "
            "previous reminder the open amount of {balance} has not reached us. Please pay it within the "
            "next few days.",
            "Invoice {number} of {issue_date} was due on {due_date}, {days} days ago, and despite our "
            "previous reminder the open amount of {balance} has not reached us. Please pay it within the "
            "next few days.",
            days,
        )
    return texts.gettext(
        "Despite our reminders, invoice {number} of {issue_date}, due on {due_date}, is still unpaid. "
        "This is our final reminder: please pay the open amount of {balance} without delay, or contact "
        "us if something is wrong with the invoice."
    )


async def _invoice_pdf(database: Database, document: Document) -> bytes | None:
    """The invoice's stored PDF (made and stored on first use), where PDF rendering is installed."""
    try:
        import modules.invoicing.services.pdf  # noqa: F401
    except ImportError:  # pragma: no cover - rendering is optional for reminders
        return None

    if document.snapshot is None:
        return None
    return await stored_pdf(database, document)


async def _candidates(session: AsyncSession, days: list[int], today: date) -> list[_Due]:
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
    due: list[_Due] = []
    for invoice_id, number, due_date, level, last_sent, email in rows:
        next_level = None if due_date is None else _next_level(due_date, level, last_sent, days, today)
        if next_level is not None:
            due.append(_Due(invoice_id, number, next_level, (email or "").strip() or None))
    return due


CLAIM_EXPIRES = timedelta(minutes=10)
"""A claim older than this, not marked sent, belongs to a run that was cut off (a mail takes seconds)."""


@dataclass(frozen=True, slots=True)
class _Claim:
    claimed_at: datetime
    message: EmailMessage


HELD = "another run is sending it"
NOT_DUE = "no longer due"


async def _claim(
    database: Database,
    tenant_id: uuid.UUID,
    due: _Due,
    *,
    config: mail.SmtpConfig,
    today: date,
    pdf: bytes | None,
) -> _Claim | str | None:
    """Claim the level and write its mail, in one short transaction; ``HELD`` when another run has
    claimed it, None when it is no longer due."""
    assert due.email is not None
    async with database.transaction(tenant_id=tenant_id) as session:
        document = await fetch(session, Document, due.invoice_id, what="invoice", for_update=True)
        if (
            document.state not in OPEN_STATES
            or document.balance <= 0
            or document.reminders_paused
            or document.reminder_level != due.level - 1
        ):
            return None
        now = utcnow()
        held = await session.get(Reminder, (tenant_id, document.id, due.level), populate_existing=True)
        if held is None:
            fresh = Reminder(document_id=document.id, level=due.level, recipient=due.email, claimed_at=now)
            session.add(fresh)
        elif held.sent_at is not None:
            return None
        elif held.claimed_at is not None and held.claimed_at >= now - CLAIM_EXPIRES:
            return HELD
        else:
            held.claimed_at, held.recipient = now, due.email  # its run was cut off: send it again
        tenant = await session.get_one(Tenant, tenant_id)
        customer = await session.get_one(Party, (tenant_id, document.customer_id))
        snapshot = document.snapshot or {}
        seller = str((snapshot.get("seller") or {}).get("name") or tenant.legal_name or tenant.name)
        subject, text = reminder_message(
            document,
            level=due.level,
            customer=customer.name,
            seller=seller,
            iban=snapshot.get("payment_iban") or tenant.iban,
            today=today,
            attached=pdf is not None,
        )
        attachments = (
            [mail.Attachment(f"{document.number}.pdf", pdf, "application/pdf")] if pdf is not None else []
        )
        message = mail.build_message(
            sender=config.sender,
            to=[due.email],
            subject=subject,
            text=text,
            attachments=attachments,
            reply_to=tenant.email or None,
        )
    return _Claim(now, message)


async def _settle_claim(
    database: Database,
    tenant_id: uuid.UUID,
    due: _Due,
    claim: _Claim,
    *,
    sent: bool,
    actor_id: uuid.UUID | None,
) -> None:
    """Mark the claimed level sent (the invoice's level moves, the audit log says so), or release it.

    A mail that went is recorded even when another run took the claim over meanwhile (this send outlived
    ``CLAIM_EXPIRES``): that run's mail is then a second copy, and its outcome changes nothing. A refused
    mail releases the claim only while it is still this run's.
    """
    async with database.transaction(tenant_id=tenant_id) as session:
        document = await fetch(session, Document, due.invoice_id, what="invoice", for_update=True)
        held = await session.get(Reminder, (tenant_id, due.invoice_id, due.level), populate_existing=True)
        if held is None or held.sent_at is not None:
            return
        if not sent:
            if held.claimed_at == claim.claimed_at:
                await session.delete(held)
            return
        held.sent_at = utcnow()
        document.reminder_level = max(document.reminder_level, due.level)
        await audit.record(
            session,
            actor_id=actor_id,
            object_type="invoice",
            object_id=document.id,
            action="remind",
            changes={"level": due.level, "recipient": held.recipient},
        )


async def _send_one(
    database: Database,
    tenant_id: uuid.UUID,
    due: _Due,
    *,
    config: mail.SmtpConfig,
    today: date,
    actor_id: uuid.UUID | None,
) -> str | None:
    """Send one reminder: claim it, mail it with no transaction open, record it. Returns None once sent,
    ``HELD`` when another run is sending it, ``NOT_DUE`` when it no longer is (paid meanwhile, or sent).

    Raises ``MailError`` when the server does not take it (and then the claim is released).
    """
    async with database.session(write=False, tenant_id=tenant_id) as reader:
        issued = await reader.get_one(Document, (tenant_id, due.invoice_id))
    pdf = await _invoice_pdf(database, issued)
    claim = await _claim(database, tenant_id, due, config=config, today=today, pdf=pdf)
    if claim is None:
        return NOT_DUE
    if isinstance(claim, str):
        return claim
    try:
        await mail.send(config, claim.message)
    except mail.MailError:
        await _settle_claim(database, tenant_id, due, claim, sent=False, actor_id=actor_id)
        raise
    await _settle_claim(database, tenant_id, due, claim, sent=True, actor_id=actor_id)
    return None


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
    for due in candidates:
        outcome = ReminderOutcome(str(due.invoice_id), due.number, due.level, due.email or "")
        if due.email is None:
            report.skipped.append(_with(outcome, "the customer has no e-mail address"))
            continue
        if failures >= MAX_CONSECUTIVE_FAILURES:
            report.failed.append(_with(outcome, "not tried: the mail server failed repeatedly"))
            continue
        try:
            unsent = await _send_one(database, tenant_id, due, config=config, today=today, actor_id=actor_id)
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
