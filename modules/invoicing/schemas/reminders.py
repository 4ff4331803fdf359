"""An invoice's reminders as the API takes and answers them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from modules.invoicing.models import Document, Reminder

__all__ = ["RemindersIn", "reminders_out"]


class RemindersIn(msgspec.Struct, forbid_unknown_fields=True):
    paused: bool
    """True stops the invoice's reminders (while it is disputed, say); false lets them go out again."""
    reason: str = ""
    """Why, for the audit log."""


def reminders_out(document: Document, sent: Sequence[Reminder]) -> dict[str, Any]:
    """The reminders sent for an invoice, and whether more may go out."""
    return {
        "invoice_id": str(document.id),
        "reminder_level": document.reminder_level,
        "reminders_paused": document.reminders_paused,
        "sent": [
            {
                "level": r.level,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "recipient": r.recipient,
            }
            for r in sent
        ],
    }
