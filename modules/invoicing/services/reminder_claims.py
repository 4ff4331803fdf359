"""Claiming, mailing and recording one reminder level, with no transaction open while the mail server
is talking.

The reminder row (primary key: invoice and level) is the claim on a level: a send claims the level in a
short transaction (the invoice locked, the row written with ``claimed_at``), commits, hands the mail to
the server, then marks the row sent, moves the invoice's level and writes the audit entry in a second
one. A mail the server refuses releases the claim (the next run sends it again). A run cut off between
the two leaves a claim that is never marked sent: once older than ``CLAIM_EXPIRES``, the next run takes
it over and sends the level again, since it cannot know whether the first mail left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from core import audit, mail
from core.db.base import utcnow
from core.db.engine import Database
from core.db.lookup import fetch
from core.mail_quota import QuotaExceeded, take_quota
from core.models import Party, Tenant
from core.settings import Settings
from modules.invoicing.models import Document, Reminder
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.reminder_wording import reminder_message
from modules.invoicing.vocabulary import OPEN_STATES

__all__ = ["CLAIM_EXPIRES", "HELD", "NOT_DUE", "DueReminder", "send_reminder"]


@dataclass(frozen=True, slots=True)
class DueReminder:
    """One reminder level due today for one invoice, with the address it goes to (None: it has none)."""

    invoice_id: uuid.UUID
    number: str | None
    level: int
    email: str | None


async def _invoice_pdf(database: Database, document: Document) -> bytes | None:
    """The invoice's stored PDF (made and stored on first use), where PDF rendering is installed."""
    try:
        import modules.invoicing.services.pdf  # noqa: F401
    except ImportError:  # pragma: no cover - rendering is optional for reminders
        return None

    if document.snapshot is None:
        return None
    return await stored_pdf(database, document)


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
    due: DueReminder,
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
    due: DueReminder,
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


async def send_reminder(
    database: Database,
    tenant_id: uuid.UUID,
    due: DueReminder,
    *,
    config: mail.SmtpConfig,
    today: date,
    actor_id: uuid.UUID | None,
    install: Settings | None = None,
) -> str | None:
    """Send one reminder: claim it, mail it with no transaction open, record it. Returns None once sent,
    ``HELD`` when another run is sending it, ``NOT_DUE`` when it no longer is (paid meanwhile, or sent).

    A claimed reminder counts against the tenant's mail quota (``install``'s limits) before it goes.
    Raises ``MailError`` when the server does not take it, ``QuotaExceeded`` when the quota is used up
    (and then the claim is released).
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
        if install is not None:
            await take_quota(database, install, tenant_id, 1)
        await mail.send(config, claim.message)
    except (mail.MailError, QuotaExceeded):
        await _settle_claim(database, tenant_id, due, claim, sent=False, actor_id=actor_id)
        raise
    await _settle_claim(database, tenant_id, due, claim, sent=True, actor_id=actor_id)
    return None
