"""Recurring invoices: a plan makes the same invoice every month, quarter or year.

``run_recurring`` is run daily (``coop invoicing run-recurring`` from cron or a systemd timer). For each
active plan whose ``next_date`` has come, it makes the invoice dated ``next_date`` (a draft, or issued
when the plan says ``auto_issue``), moves ``next_date`` one period on in the same transaction, and
repeats until ``next_date`` is in the future: after downtime every missed period is made once, in date
order. Running it again the same day makes nothing, and two runs at once cannot make a period twice (the
plan's row is locked while its invoice is made). A plan stops (``active`` false) after its ``end_date``.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.dates import check_date
from core.db.engine import Database
from core.db.lookup import fetch
from core.errors import DomainError, InvalidInput
from core.models import Party, Tenant
from core.tenants import check_currency
from modules.invoicing.models import Document, RecurringPlan
from modules.invoicing.services.drafts import DraftInput, create_draft
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.line_checks import validate_lines
from modules.invoicing.services.lines import (
    AdjustmentData,
    LineData,
    adjustment_inputs,
    line_inputs,
    parse_adjustment,
    parse_line,
)
from modules.invoicing.vocabulary import FREQUENCIES, DocumentKind, Frequency

__all__ = [
    "RunReport",
    "add_months",
    "create_plan",
    "delete_plan",
    "get_plan",
    "list_plans",
    "run_recurring",
    "update_plan",
]

"""Months between two invoices of a plan."""
TEMPLATE_FIELDS = (
    "currency",
    "lines",
    "adjustments",
    "payment_terms_days",
    "notes",
    "buyer_reference",
    "order_reference",
)
MAX_PERIODS_PER_RUN = 1000
"""A guard against a plan dated far in the past making thousands of invoices in one run."""


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved ``months`` on, on ``anchor_day`` or the month's last day if it is shorter.

    With anchor 31: Jan 31 → Feb 28 (29 in a leap year) → Mar 31 → Apr 30.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def _line_dict(line: LineData) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "vat_rate": str(line.vat_rate),
        "vat_category": line.vat_category,
        "unit": line.unit,
        "discount": str(line.discount),
        "exemption_reason": line.exemption_reason,
    }


def _adjustment_dict(adjustment: AdjustmentData) -> dict[str, Any]:
    return {
        "amount": str(adjustment.amount),
        "vat_rate": str(adjustment.vat_rate),
        "is_charge": adjustment.is_charge,
        "reason": adjustment.reason,
        "vat_category": adjustment.vat_category,
    }


def _lines(template: Mapping[str, Any]) -> tuple[list[LineData], list[AdjustmentData]]:
    return (
        [parse_line(dict(raw), index) for index, raw in enumerate(template.get("lines") or [])],
        [parse_adjustment(dict(raw), index) for index, raw in enumerate(template.get("adjustments") or [])],
    )


def _text(value: Any, limit: int, name: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise InvalidInput.field(name, f"must be at most {limit} characters")
    return text or None


def check_template(raw: Mapping[str, Any], *, default_currency: str) -> dict[str, Any]:
    """The invoice template of a plan, validated like a draft and stored in a canonical form."""
    unknown = set(raw) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidInput.field("template", f"unknown fields {sorted(unknown)}")
    if not raw.get("lines"):
        raise InvalidInput.field("lines", "a recurring invoice needs at least one line")
    if len(raw["lines"]) > 200:
        raise InvalidInput.field("lines", "at most 200 lines in a recurring invoice")
    currency = check_currency(str(raw.get("currency") or default_currency))
    lines, adjustments = _lines(raw)
    errors = validate_lines(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        seller_vat_id="checked at issue",
        buyer_vat_id="checked at issue",
        currency=currency,
    )
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    terms = raw.get("payment_terms_days")
    if terms is not None and (not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= 365):
        raise InvalidInput.field("payment_terms_days", "must be a whole number of days between 0 and 365")
    notes = str(raw.get("notes") or "")
    if len(notes) > 10_000:
        raise InvalidInput.field("notes", "must be at most 10000 characters")
    return {
        "currency": currency,
        "lines": [_line_dict(line) for line in lines],
        "adjustments": [_adjustment_dict(a) for a in adjustments],
        "payment_terms_days": terms,
        "notes": notes,
        "buyer_reference": _text(raw.get("buyer_reference"), 100, "buyer_reference"),
        "order_reference": _text(raw.get("order_reference"), 100, "order_reference"),
    }


def _frequency(value: Any) -> str:
    if value not in FREQUENCIES:
        raise InvalidInput.field("frequency", f"must be one of {', '.join(FREQUENCIES)}")
    return str(value)


def _check_dates(next_date: date, end_date: date | None, field: str = "next_date") -> None:
    check_date(next_date, field)
    if end_date is not None and check_date(end_date, "end_date") < next_date:
        raise InvalidInput.field("end_date", "must not be before the first invoice's date")


async def get_plan(session: AsyncSession, plan_id: uuid.UUID) -> RecurringPlan:
    return await fetch(session, RecurringPlan, plan_id, what="recurring plan")


async def list_plans(session: AsyncSession, *, active: bool | None = None) -> list[RecurringPlan]:
    statement = select(RecurringPlan).order_by(RecurringPlan.next_date, RecurringPlan.id)
    if active is not None:
        statement = statement.where(RecurringPlan.active == active)
    return list((await session.scalars(statement)).all())


async def create_plan(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    frequency: str,
    start_date: date,
    template: Mapping[str, Any],
    end_date: date | None = None,
    name: str = "",
    auto_issue: bool = False,
    actor_id: uuid.UUID | None,
) -> RecurringPlan:
    """A plan whose first invoice is dated ``start_date``; later ones keep its day of the month."""
    customer = await fetch(session, Party, customer_id, what="customer")
    tenant = await session.get_one(Tenant, session.info["tenant_id"])
    _check_dates(start_date, end_date, "start_date")
    plan = RecurringPlan(
        id=uuid.uuid4(),
        name=_text(name, 200, "name") or "",
        customer_id=customer.id,
        frequency=_frequency(frequency),
        next_date=start_date,
        anchor_day=start_date.day,
        end_date=end_date,
        template=check_template(template, default_currency=tenant.currency),
        auto_issue=bool(auto_issue),
        active=True,
    )
    session.add(plan)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="recurring_plan",
        object_id=plan.id,
        action="create",
        changes={"customer_id": str(customer.id), "frequency": plan.frequency, "next_date": start_date},
    )
    return plan


async def update_plan(
    session: AsyncSession, plan_id: uuid.UUID, changes: Mapping[str, Any], *, actor_id: uuid.UUID | None
) -> RecurringPlan:
    """Change a plan; invoices already made stay as they are. Setting ``next_date`` also sets the day
    of the month later invoices keep to."""
    plan = await get_plan(session, plan_id)
    before = {
        "name": plan.name,
        "frequency": plan.frequency,
        "next_date": plan.next_date,
        "end_date": plan.end_date,
        "auto_issue": plan.auto_issue,
        "active": plan.active,
        "customer_id": plan.customer_id,
    }
    if changes.get("customer_id") is not None:
        plan.customer_id = (await fetch(session, Party, changes["customer_id"], what="customer")).id
    if changes.get("frequency") is not None:
        plan.frequency = _frequency(changes["frequency"])
    if changes.get("name") is not None:
        plan.name = _text(changes["name"], 200, "name") or ""
    if changes.get("next_date") is not None:
        plan.next_date = changes["next_date"]
        plan.anchor_day = plan.next_date.day
    if "end_date" in changes:
        plan.end_date = changes["end_date"]
    for flag in ("auto_issue", "active"):
        if changes.get(flag) is not None:
            setattr(plan, flag, bool(changes[flag]))
    _check_dates(plan.next_date, plan.end_date)
    template_changes = {k: changes[k] for k in TEMPLATE_FIELDS if changes.get(k) is not None}
    if template_changes:
        tenant = await session.get_one(Tenant, session.info["tenant_id"])
        plan.template = check_template(
            {**plan.template, **template_changes}, default_currency=tenant.currency
        )
    await session.flush()
    after = {key: getattr(plan, key) for key in before}
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="recurring_plan",
        object_id=plan.id,
        action="update",
        changes={**audit.diff(before, after), **({"template": "changed"} if template_changes else {})},
    )
    return plan


async def delete_plan(session: AsyncSession, plan_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    """Delete a plan; the invoices it made stay (their ``source_id`` still names it)."""
    plan = await get_plan(session, plan_id)
    await session.delete(plan)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, object_type="recurring_plan", object_id=plan_id, action="delete"
    )


@dataclass(frozen=True, slots=True)
class MadeInvoice:
    plan_id: uuid.UUID
    document_id: uuid.UUID
    issue_date: date
    number: str | None


@dataclass(slots=True)
class RunReport:
    """What a run made, and the plans it had to leave (with the reason, for the bookkeeper to fix)."""

    made: list[MadeInvoice] = field(default_factory=list)
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)


async def _next_due(session: AsyncSession, today: date, skip: Sequence[uuid.UUID]) -> RecurringPlan | None:
    """The plan with the earliest due invoice, locked until the transaction ends."""
    statement = (
        select(RecurringPlan)
        .where(RecurringPlan.active.is_(True), RecurringPlan.next_date <= today)
        .order_by(RecurringPlan.next_date, RecurringPlan.created_at, RecurringPlan.id)
        .limit(1)
        .with_for_update()
    )
    if skip:
        statement = statement.where(RecurringPlan.id.not_in(skip))
    return await session.scalar(statement)


async def _make_for(session: AsyncSession, plan: RecurringPlan) -> Document | None:
    """Make the plan's invoice for its ``next_date`` and move it one period on (None once it ended)."""
    period = plan.next_date
    if plan.end_date is not None and period > plan.end_date:
        plan.active = False
        await session.flush()
        return None
    template = plan.template
    lines, adjustments = _lines(template)
    draft = await create_draft(
        session,
        DraftInput(
            customer_id=plan.customer_id,
            currency=template.get("currency"),
            lines=lines,
            adjustments=adjustments,
            issue_date=period,
            payment_terms_days=template.get("payment_terms_days"),
            buyer_reference=template.get("buyer_reference"),
            order_reference=template.get("order_reference"),
            notes=template.get("notes") or "",
            kind=DocumentKind.INVOICE,
        ),
        today=period,
        actor_id=None,
    )
    document = draft.document
    document.source_id = plan.id
    if plan.auto_issue:
        await issue_document(session, document.id, today=period, actor_id=None, rows=draft.rows)
    plan.last_document_id = document.id
    plan.next_date = add_months(period, Frequency(plan.frequency).months, plan.anchor_day)
    if plan.end_date is not None and plan.next_date > plan.end_date:
        plan.active = False
    await session.flush()
    await audit.record(
        session,
        actor_id=None,
        object_type="recurring_plan",
        object_id=plan.id,
        action="run",
        changes={"period": period, "document_id": str(document.id), "number": document.number},
    )
    return document


async def run_recurring(database: Database, tenant_id: uuid.UUID, today: date) -> RunReport:
    """Make every invoice due by ``today`` in a tenant, one transaction per invoice, in date order.

    A plan whose invoice cannot be made (say its customer has no country, so it cannot be issued) is
    left as it is for this run and reported; the other plans go on.
    """
    report = RunReport()
    failed: list[uuid.UUID] = []
    for _ in range(MAX_PERIODS_PER_RUN):
        current: uuid.UUID | None = None
        try:
            async with database.transaction(tenant_id=tenant_id) as session:
                plan = await _next_due(session, today, failed)
                if plan is None:
                    break
                current = plan.id
                document = await _make_for(session, plan)
                if document is not None:
                    report.made.append(
                        MadeInvoice(
                            plan_id=plan.id,
                            document_id=document.id,
                            issue_date=document.issue_date or today,
                            number=document.number,
                        )
                    )
        except DomainError as exc:
            if current is None:
                raise
            failed.append(current)
            report.failed.append((current, exc.detail))
    return report


async def daily_recurring(database: Database, settings: object, tenant_id: uuid.UUID, today: date) -> None:
    """The scheduler's daily run (``coop invoicing run-recurring`` does the same by hand). Plans that
    failed make the run fail, so the scheduler tries again on its next tick, once someone fixed them."""
    report = await run_recurring(database, tenant_id, today)
    if report.failed:
        raise RuntimeError(f"recurring plans could not make their invoices: {report.failed}")
