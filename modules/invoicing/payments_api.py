"""Money in, through the API: payments, customer balances, reminder runs and reports.

Under /api/v1/tenants/{tenant}. Amounts travel as decimal strings. Reports answer JSON, or CSV with
``?format=csv`` or ``Accept: text/csv``.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, NotFound
from core.idempotency import idempotent
from core.money import minor_unit, parse_amount, plain_number
from core.pagination import paginate
from core.tenants import TenantContext
from modules.invoicing.api import _scope, readable
from modules.invoicing.models import Payment
from modules.invoicing.schemas import payment_out
from modules.invoicing.services import payments as pay
from modules.invoicing.services import reminders, reports
from modules.invoicing.services.balances import customer_balances
from modules.invoicing.vocabulary import BUCKETS, METHODS

__all__ = ["CustomerAccountController", "PaymentController", "ReminderController", "ReportController"]


class AllocationIn(msgspec.Struct, forbid_unknown_fields=True):
    invoice_id: uuid.UUID
    amount: str | None = None
    """Omit to apply as much as the invoice's balance and the money at hand allow."""


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Money received: for one invoice (``invoice_id``), split (``customer_id`` with ``allocations``),
    or for a customer's open invoices oldest due first (``customer_id`` alone)."""

    amount: str
    received_on: date = msgspec.field(name="date")
    method: str
    invoice_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    currency: str | None = None
    reference: str = ""
    allocations: list[AllocationIn] | None = None


class AllocateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Apply a payment's unallocated amount: to one invoice, or to several with ``allocations``."""

    invoice_id: uuid.UUID | None = None
    amount: str | None = None
    allocations: list[AllocationIn] | None = None


def _allocations(raw: Sequence[AllocationIn]) -> list[pay.AllocationData]:
    return [
        pay.AllocationData(
            invoice_id=item.invoice_id,
            amount=None
            if item.amount in (None, "")
            else parse_amount(item.amount or "", field=f"allocations[{index}].amount"),
        )
        for index, item in enumerate(raw)
    ]


def _money(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-minor_unit(currency))))


async def _readable_payment(db: AsyncSession, ctx: TenantContext, payment_id: uuid.UUID) -> Payment:
    payment = await pay.get_payment(db, payment_id)
    parties = readable(ctx)
    if parties is not None and payment.customer_id not in parties:
        raise NotFound("no such payment")
    return payment


class PaymentController(Controller):
    path = "/payments"
    tags = ["invoicing"]

    @get("/", opt={"permission": None})
    async def list_payments(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        customer_id: uuid.UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        method: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Payments, newest first; filter by customer, date received and method."""
        statement = select(Payment)
        parties = readable(ctx)
        if parties is not None:
            statement = statement.where(Payment.customer_id.in_(parties))
        if customer_id:
            statement = statement.where(Payment.customer_id == customer_id)
        if date_from:
            statement = statement.where(Payment.received_on >= date_from)
        if date_to:
            statement = statement.where(Payment.received_on <= date_to)
        if method:
            if method not in METHODS:
                raise InvalidInput.field("method", f"must be one of {', '.join(METHODS)}")
            statement = statement.where(Payment.method == method)
        page = await paginate(
            db,
            statement,
            sort=Payment.created_at,
            id_column=Payment.id,
            limit=limit,
            cursor=cursor,
            descending=True,
        )
        return {"items": [payment_out(p) for p in page.items], "next_cursor": page.next_cursor}

    @post("/", opt={"permission": "invoicing.payments"})
    async def record(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: PaymentIn
    ) -> Response[bytes]:
        """Record a payment and allocate it; what is left is held as the customer's credit.
        Accepts ``Idempotency-Key``."""

        async def produce() -> tuple[int, Any]:
            payment = await pay.record_payment(
                db,
                pay.PaymentInput(
                    amount=parse_amount(data.amount),
                    received_on=data.received_on,
                    method=data.method,
                    invoice_id=data.invoice_id,
                    customer_id=data.customer_id,
                    currency=data.currency,
                    reference=data.reference,
                    allocations=None if data.allocations is None else _allocations(data.allocations),
                ),
                today=ctx.today(),
                actor_id=ctx.user_id,
            )
            return 201, payment_out(payment, await pay.allocations_of(db, payment.id))

        return await idempotent(db, request, _scope(ctx), produce)

    @get("/{payment_id:uuid}", opt={"permission": None})
    async def show(self, db: AsyncSession, ctx: TenantContext, payment_id: uuid.UUID) -> dict[str, Any]:
        """One payment with the invoices it settled."""
        payment = await _readable_payment(db, ctx, payment_id)
        return payment_out(payment, await pay.allocations_of(db, payment.id))

    @post("/{payment_id:uuid}/allocate", opt={"permission": "invoicing.payments"})
    async def allocate(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        payment_id: uuid.UUID,
        data: AllocateIn,
    ) -> Response[bytes]:
        """Apply the payment's unallocated amount (the customer's credit) to invoices.
        Accepts ``Idempotency-Key``."""
        if (data.invoice_id is None) == (data.allocations is None):
            raise InvalidInput.field("invoice_id", "give either invoice_id (and amount) or allocations")
        wanted = _allocations(
            data.allocations
            if data.allocations is not None
            else [AllocationIn(invoice_id=data.invoice_id, amount=data.amount)]  # type: ignore[arg-type]
        )

        async def produce() -> tuple[int, Any]:
            payment = await pay.allocate_credit(db, payment_id, wanted, actor_id=ctx.user_id)
            return 200, payment_out(payment, await pay.allocations_of(db, payment.id))

        return await idempotent(db, request, _scope(ctx), produce)


class CustomerAccountController(Controller):
    path = "/customers"
    tags = ["invoicing"]

    @get("/{party_id:uuid}/balance", opt={"permission": None})
    async def balance(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> dict[str, Any]:
        """What the customer owes (open, and overdue) and holds as credit, per currency."""
        parties = readable(ctx)
        if parties is not None and party_id not in parties:
            raise NotFound("no such customer")
        today = ctx.today()
        balances = await customer_balances(db, party_id, today=today)
        return {
            "customer_id": str(party_id),
            "date": today.isoformat(),
            "balances": {
                b.currency: {
                    "open_invoices": b.open_invoices,
                    "receivable": _money(b.receivable, b.currency),
                    "overdue": _money(b.overdue, b.currency),
                    "credit": _money(b.credit, b.currency),
                }
                for b in balances
            },
        }


class ReminderController(Controller):
    path = "/reminders"
    tags = ["invoicing"]

    @post("/run", opt={"permission": "invoicing.payments"}, status_code=200)
    async def run(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> dict[str, Any]:
        """Send the reminders due today (the scheduled job does the same); reports what was sent."""
        await db.rollback()  # each reminder is its own transaction; hold no lock meanwhile
        report = await reminders.send_due_reminders(
            request.app.state.db,
            ctx.tenant_id,
            today=ctx.today(),
            settings=request.app.state.settings,
            actor_id=ctx.user_id,
        )
        return report.to_dict()


def _wants_csv(request: Request[Any, Any, Any], format_: str | None) -> bool:
    if format_ is not None:
        if format_ not in ("json", "csv"):
            raise InvalidInput.field("format", "must be json or csv")
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        content=buffer.getvalue().encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


def _period(ctx: TenantContext, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The period asked for; by default from the first day of this year to today."""
    today = ctx.today()
    start = date_from or today.replace(month=1, day=1)
    end = date_to or today
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    return start, end


_FROM = Annotated[date | None, QueryParameter(name="from")]
_TO = Annotated[date | None, QueryParameter(name="to")]
_FORMAT = Annotated[str | None, QueryParameter(name="format")]


class ReportController(Controller):
    path = "/reports"
    tags = ["invoicing"]

    @get("/aged-receivables", opt={"permission": "invoicing.view"})
    async def aged_receivables(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        on: date | None = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """What customers owe, by days past due (current, 1-30, 31-60, 61-90, 90+), per currency."""
        report = await reports.aged_receivables(db, on=on or ctx.today())
        if _wants_csv(request, format_):

            def line(c: reports.AgedCustomer, customer_id: str, name: str) -> list[object]:
                return [
                    c.currency,
                    customer_id,
                    name,
                    c.invoices,
                    *(_money(c.buckets[b], c.currency) for b in BUCKETS),
                    _money(c.total, c.currency),
                ]

            rows = [line(c, str(c.customer_id), c.name) for c in report.customers]
            rows += [line(total, "", "TOTAL") for _, total in sorted(report.totals.items())]
            return _csv(
                f"aged-receivables-{report.on.isoformat()}.csv",
                ["currency", "customer_id", "customer", "invoices", *BUCKETS, "total"],
                rows,
            )

        def out(c: reports.AgedCustomer) -> dict[str, Any]:
            return {
                "invoices": c.invoices,
                **{b: _money(c.buckets[b], c.currency) for b in BUCKETS},
                "total": _money(c.total, c.currency),
            }

        return Response(
            {
                "on": report.on.isoformat(),
                "buckets": list(BUCKETS),
                "currencies": [
                    {
                        "currency": currency,
                        "customers": [
                            {"customer_id": str(c.customer_id), "name": c.name, **out(c)}
                            for c in report.customers
                            if c.currency == currency
                        ],
                        "totals": out(total),
                    }
                    for currency, total in sorted(report.totals.items())
                ],
            }
        )

    @get("/vat", opt={"permission": "invoicing.view"})
    async def vat(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        date_from: _FROM = None,
        date_to: _TO = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """VAT per month, currency, category and rate: invoices minus credit notes, issued ones only."""
        start, end = _period(ctx, date_from, date_to)
        rows = await reports.vat_summary(db, date_from=start, date_to=end)
        totals = reports.vat_totals(rows)

        def out(row: reports.VatRow) -> dict[str, Any]:
            return {
                "period": row.period,
                "currency": row.currency,
                "category": row.category,
                "rate": plain_number(row.rate),
                "taxable": _money(row.taxable, row.currency),
                "tax": _money(row.tax, row.currency),
                "documents": row.documents,
            }

        if _wants_csv(request, format_):
            return _csv(
                f"vat-{start.isoformat()}-{end.isoformat()}.csv",
                ["period", "currency", "category", "rate", "taxable", "tax", "documents"],
                [list(out(row).values()) for row in [*rows, *totals]],
            )
        return Response(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "rows": [out(row) for row in rows],
                "totals": [{k: v for k, v in out(row).items() if k != "period"} for row in totals],
            }
        )

    @get("/revenue", opt={"permission": "invoicing.view"})
    async def revenue(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        date_from: _FROM = None,
        date_to: _TO = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """Net revenue (excluding VAT) per customer: invoices minus credit notes issued in the period."""
        start, end = _period(ctx, date_from, date_to)
        rows = await reports.revenue_by_customer(db, date_from=start, date_to=end)

        def out(row: reports.RevenueRow) -> dict[str, Any]:
            return {
                "customer_id": str(row.customer_id),
                "name": row.name,
                "currency": row.currency,
                "invoices": row.invoices,
                "credit_notes": row.credit_notes,
                "invoiced": _money(row.invoiced, row.currency),
                "credited": _money(row.credited, row.currency),
                "net": _money(row.net, row.currency),
            }

        if _wants_csv(request, format_):
            return _csv(
                f"revenue-{start.isoformat()}-{end.isoformat()}.csv",
                [
                    "customer_id",
                    "customer",
                    "currency",
                    "invoices",
                    "credit_notes",
                    "invoiced",
                    "credited",
                    "net",
                ],
                [list(out(row).values()) for row in rows],
            )
        totals: dict[str, Decimal] = {}
        for row in rows:
            totals[row.currency] = totals.get(row.currency, Decimal(0)) + row.net
        return Response(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "customers": [out(row) for row in rows],
                "totals": {currency: _money(net, currency) for currency, net in sorted(totals.items())},
            }
        )
