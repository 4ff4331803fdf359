"""Sample invoices for the demo co-op (``coop demo``, run by ``make run``): one of each state a
bookkeeper meets (paid, partly paid and overdue, overdue with a reminder due, current with a member
discount, a draft, a quote and a credit note), a monthly recurring plan and a footer in the settings, so
that the list, the customer pages, the reports, the recurring plans and a reminder run show something on
first start. Added once: a co-op that has any invoicing document gets nothing more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import MEMBERS
from core.models import Party
from modules.invoicing.models import Document
from modules.invoicing.services.crediting import credit_invoice
from modules.invoicing.services.drafts import DraftInput, create_draft
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.lines import parse_adjustment, parse_line
from modules.invoicing.services.payments import PaymentInput, record_payment
from modules.invoicing.services.recurring import add_months, create_plan
from modules.invoicing.services.settings import SettingsPatch, update_settings

__all__ = ["seed_demo"]


def _line(
    description: str, quantity: str, unit: str, price: str, rate: str, category: str = "S"
) -> dict[str, str]:
    return {
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
        "vat_rate": rate,
        "vat_category": category,
    }


VAN = _line("Shared delivery van: monthly share", "1", "C62", "180.00", "20")
FLOUR = _line("Organic T65 flour", "250", "KGM", "1.85", "5.5")
BOOKS = _line("Bookkeeping support", "6", "HUR", "45.00", "20")
STALL = _line("Market stall, Saturday", "4", "C62", "35.00", "20")
FLYERS = _line("A5 flyers, two colours", "2000", "C62", "0.045", "20")
REPAIRS = _line("Cargo bike servicing", "3", "C62", "95.00", "0", "AE")  # reverse charge: a German member
MEMBER_DISCOUNT = {"amount": "5.00", "vat_rate": "20", "reason": "Member discount"}
FOOTER = "Thank you for trading with your co-op. Members pay within 30 days."


GROCERS, BIKES, PRINTERS = (name for name, *_ in MEMBERS[:3])


@dataclass(frozen=True, slots=True)
class _Sample:
    customer: str  # a demo member business, by name
    days_ago: int  # issue date
    lines: tuple[dict[str, Any], ...]
    paid: tuple[int, str] | None = None  # days ago, amount
    adjustments: tuple[dict[str, Any], ...] = ()
    kind: str = "invoice"
    issued: bool = True


SAMPLES = (
    _Sample(GROCERS, 95, (VAN, FLOUR), paid=(62, "all")),
    _Sample(BIKES, 70, (REPAIRS,), paid=(31, "100.00")),  # partly paid, overdue
    _Sample(GROCERS, 45, (BOOKS, STALL)),  # 15 days overdue: its first reminder is due
    _Sample(PRINTERS, 12, (FLYERS,), adjustments=(MEMBER_DISCOUNT,)),  # current
    _Sample(GROCERS, 0, (VAN,), issued=False),  # a draft, dated the day it is issued
    _Sample(PRINTERS, 0, (FLYERS, BOOKS), kind="quote", issued=False),
)


async def seed_demo(session: AsyncSession, today: date) -> None:
    """The samples above, in the demo co-op's session; nothing when it has invoicing documents."""
    if await session.scalar(select(Document.id).limit(1)) is not None:
        return
    names = {sample.customer for sample in SAMPLES}
    tenant_id = session.info["tenant_id"]
    found = await session.execute(select(Party.name, Party.id).where(Party.name.in_(names)))
    customers: dict[str, uuid.UUID] = dict(found.all())
    if len(customers) < len(names):
        return  # the demo's members were renamed or removed
    first_paid: uuid.UUID | None = None
    for sample in SAMPLES:
        data = DraftInput(
            customer_id=customers[sample.customer],
            kind=sample.kind,
            issue_date=today - timedelta(days=sample.days_ago) if sample.issued else None,
            lines=[parse_line(line, index) for index, line in enumerate(sample.lines)],
            adjustments=[parse_adjustment(raw, index) for index, raw in enumerate(sample.adjustments)],
        )
        draft = await create_draft(session, data, today=today, actor_id=None)
        if not sample.issued:
            continue
        document = await issue_document(
            session, draft.document.id, today=today, actor_id=None, rows=draft.rows
        )
        if sample.paid is not None:
            days_ago, amount = sample.paid
            payment = PaymentInput(
                amount=document.amount_due if amount == "all" else Decimal(amount),
                received_on=today - timedelta(days=days_ago),
                method="bank_transfer",
                invoice_id=document.id,
                reference=f"Transfer {document.number}",
            )
            await record_payment(session, payment, today=today, actor_id=None)
            first_paid = first_paid or document.id
    if first_paid is not None:  # the van share was billed once too often: credit that line
        await credit_invoice(
            session,
            first_paid,
            [parse_line(VAN, 0)],
            today=today,
            reason="Van share billed twice",
            actor_id=None,
        )
    await update_settings(session, SettingsPatch(footer=FOOTER), tenant_id=tenant_id, actor_id=None)
    await create_plan(  # the van share, billed on the first of every month from next month on
        session,
        customer_id=customers[BIKES],
        frequency="monthly",
        start_date=add_months(today.replace(day=1), 1, 1),
        template={"lines": [VAN]},
        name="Van share",
        actor_id=None,
    )
