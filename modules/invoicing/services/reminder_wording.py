"""The wording of payment reminder mails, in the invoice's language from the message catalogs.

Each level has its own tone (``ReminderTone``): a friendly first reminder, a firmer second one, a final
one; every level past the third says the third's.
"""

from __future__ import annotations

from datetime import date
from gettext import NullTranslations

from babel.dates import format_date

from core.money import format_money
from modules.invoicing.models import Document
from modules.invoicing.services.languages import language_of, translations
from modules.invoicing.vocabulary import ReminderTone

__all__ = ["reminder_message"]


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
