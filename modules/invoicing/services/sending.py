"""Sending an issued invoice or credit note by e-mail, with its Factur-X PDF attached.

The attachment is the stored PDF (the one every download returns), so what the customer receives is
byte for byte what the bookkeeper can download. The mail goes through the tenant's own SMTP server
where its settings name one, else the install's: then the mail says it comes from the tenant "via" the
install, with the tenant's address as Reply-To. Every recipient counts against the tenant's sending
quota (``core.mail_quota``), taken before the mail goes. ``sent_at`` and the audit entry are written
only after the server accepted the message: a failure (``MailError``, 502) leaves nothing recorded,
so the bookkeeper can simply send again (the quota keeps the attempt). No database transaction is open
while the PDF is rendered or the mail server is talked to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy import select

from core import audit, mail
from core.db.base import utcnow
from core.db.engine import Database
from core.db.lookup import fetch
from core.errors import InvalidInput
from core.mail_quota import take_quota
from core.models import Party, Tenant
from core.settings import Settings
from modules.invoicing.errors import DraftNotSent, QuoteNotSent
from modules.invoicing.models import Document, InvoicingSettings
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.languages import language_of, translations
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = ["MAX_RECIPIENTS", "SentMail", "check_recipients", "send_document"]

MAX_RECIPIENTS = 10
MAX_MESSAGE = 5000


@dataclass(frozen=True, slots=True)
class SentMail:
    document: Document
    recipients: tuple[str, ...]


def check_recipients(addresses: Sequence[str]) -> tuple[str, ...]:
    """Plain e-mail addresses, at most ``MAX_RECIPIENTS``, no header tricks."""
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidInput.field("to", f"at most {MAX_RECIPIENTS} recipients")
    clean: list[str] = []
    for index, raw in enumerate(addresses):
        address = raw.strip()
        name, parsed = parseaddr(address)
        local, _, domain = parsed.rpartition("@")
        if (
            not local
            or "." not in domain
            or parsed != address
            or name
            or any(c in address for c in "\r\n<>,; ")
            or len(address) > 254
        ):
            raise InvalidInput.field(f"to[{index}]", f"{raw!r} is not an e-mail address")
        if address.lower() not in (c.lower() for c in clean):
            clean.append(address)
    return tuple(clean)


def mail_text(document: Document, *, seller: str, message: str | None) -> tuple[str, str]:
    """The subject and the text of the mail, in the document's language."""
    language = language_of(document.language)
    texts = translations(language)
    locale = {"en": "en_GB"}.get(language, language)
    if document.kind == "credit_note":
        title = texts.gettext("Credit note")
        body = texts.gettext("Please find attached credit note {number} of {date} for {amount}.")
    else:
        title = texts.gettext("Invoice")
        body = texts.gettext("Please find attached invoice {number} of {date} for {amount}.")
    body = body.format(
        number=document.number,
        date=format_date(document.issue_date, format="long", locale=locale) if document.issue_date else "",
        amount=format_currency(document.total_gross, document.currency, locale=locale),
    )
    if document.kind != "credit_note" and document.due_date:
        due = format_date(document.due_date, format="long", locale=locale)
        body += " " + texts.gettext("It is due on {due}.").format(due=due)
    paragraphs = [texts.gettext("Hello,"), body]
    if message and message.strip():
        paragraphs.append(message.strip())
    paragraphs.append(f"{texts.gettext('Kind regards,')}\n{seller}")
    # Translators: the subject of the mail; {title} is "Invoice" or "Credit note".
    subject = texts.gettext("{title} {number} from {seller}").format(
        title=title, number=document.number, seller=seller
    )
    return subject, "\n\n".join(paragraphs) + "\n"


async def send_document(
    database: Database,
    install: Settings,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    to: Sequence[str] | None,
    message: str | None,
    actor_id: uuid.UUID | None,
) -> SentMail:
    """E-mail an issued document to its customer (or to ``to``) with its stored PDF (the one every download
    returns), then record it."""
    if message is not None and len(message) > MAX_MESSAGE:
        raise InvalidInput.field("message", f"must be at most {MAX_MESSAGE} characters")
    async with database.session(write=False, tenant_id=tenant_id) as session:
        document = await fetch(session, Document, document_id, what="invoice")
        if document.kind == DocumentKind.QUOTE:
            raise QuoteNotSent()
        if document.state == DocumentState.DRAFT:
            raise DraftNotSent()
        customer = await fetch(session, Party, document.customer_id, what="customer")
        tenant = await session.get_one(Tenant, tenant_id)
        settings = await session.scalar(select(InvoicingSettings))
        override: dict[str, Any] = dict(settings.smtp) if settings is not None and settings.smtp else {}
    recipients = check_recipients(to) if to else ()
    if not recipients:
        if not customer.email:
            raise InvalidInput.field(
                "to", "the customer has no e-mail address; give one in 'to' or on the customer"
            )
        recipients = (customer.email,)
    seller = tenant.legal_name or tenant.name
    await take_quota(database, install, tenant_id, len(recipients))
    pdf = await stored_pdf(database, document)
    config = mail.smtp_config(install, override)
    subject, text = mail_text(document, seller=seller, message=message)
    email = mail.build_message(
        sender=config.sender,
        to=recipients,
        subject=subject,
        text=text,
        attachments=[mail.Attachment(f"{document.number}.pdf", pdf, "application/pdf")],
        reply_to=tenant.email or None,
        sender_name=mail.display_name(config, seller),
    )
    await mail.send(config, email)
    async with database.transaction(tenant_id=tenant_id) as session:
        document = await fetch(session, Document, document_id, what="invoice")
        document.sent_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            actor_id=actor_id,
            object_type="invoice",
            object_id=document.id,
            action="send",
            changes={"number": document.number, "to": list(recipients), "subject": subject},
        )
    return SentMail(document=document, recipients=recipients)
