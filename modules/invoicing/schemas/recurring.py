"""Recurring invoice plans as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec

from modules.invoicing.models import RecurringPlan
from modules.invoicing.schemas.documents import AdjustmentIn, LineIn

__all__ = ["RecurringIn", "RecurringPatch", "plan_out"]


class RecurringIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    frequency: str
    start_date: date
    """The first invoice's date; later ones keep its day of the month (31: the month's last day)."""
    lines: list[LineIn]
    name: str = ""
    end_date: date | None = None
    auto_issue: bool = False
    currency: str | None = None
    adjustments: list[AdjustmentIn] = msgspec.field(default_factory=list)
    payment_terms_days: int | None = None
    notes: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None


class RecurringPatch(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID | None = None
    frequency: str | None = None
    next_date: date | None = None
    end_date: date | msgspec.UnsetType | None = msgspec.UNSET
    """``null`` removes the end date."""
    name: str | None = None
    auto_issue: bool | None = None
    active: bool | None = None
    lines: list[LineIn] | None = None
    currency: str | None = None
    adjustments: list[AdjustmentIn] | None = None
    payment_terms_days: int | None = None
    notes: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None


def plan_out(plan: RecurringPlan) -> dict[str, Any]:
    """A plan with the invoice it makes each time."""
    template = plan.template
    return {
        "id": str(plan.id),
        "name": plan.name,
        "customer_id": str(plan.customer_id),
        "frequency": plan.frequency,
        "next_date": plan.next_date.isoformat(),
        "end_date": plan.end_date.isoformat() if plan.end_date else None,
        "auto_issue": plan.auto_issue,
        "active": plan.active,
        "last_document_id": str(plan.last_document_id) if plan.last_document_id else None,
        "currency": template.get("currency"),
        "lines": template.get("lines", []),
        "adjustments": template.get("adjustments", []),
        "payment_terms_days": template.get("payment_terms_days"),
        "notes": template.get("notes", ""),
        "buyer_reference": template.get("buyer_reference"),
        "order_reference": template.get("order_reference"),
        "created_at": plan.created_at.isoformat(),
    }
