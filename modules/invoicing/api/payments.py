"""Money in, through the API: payments recorded, allocated to invoices and listed, under
/api/v1/tenants/{tenant}/payments. Amounts travel as decimal strings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.idempotency import idempotent
from core.money import parse_amount
from core.pagination import paginate
from core.tenants import TenantContext
from modules.invoicing.models import Payment
from modules.invoicing.schemas.payments import AllocateIn, AllocationIn, PaymentIn, payment_out
from modules.invoicing.services import access, search
from modules.invoicing.services.payments import (
    AllocationData,
    PaymentInput,
    allocate_credit,
    allocations_of,
    record_payment,
)

__all__ = ["PaymentController"]


def _allocations(raw: Sequence[AllocationIn]) -> list[AllocationData]:
    return [
        AllocationData(
            invoice_id=item.invoice_id,
            amount=None
            if item.amount in (None, "")
            else parse_amount(item.amount or "", field=f"allocations[{index}].amount"),
        )
        for index, item in enumerate(raw)
    ]


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
        statement = search.payment_statement(
            parties=access.readable_parties(ctx.permissions, ctx.party_ids),
            customer_id=customer_id,
            date_from=date_from,
            date_to=date_to,
            method=method,
        )
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
            payment = await record_payment(
                db,
                PaymentInput(
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
            return 201, payment_out(payment, await allocations_of(db, payment.id))

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

    @get("/{payment_id:uuid}", opt={"permission": None})
    async def show(self, db: AsyncSession, ctx: TenantContext, payment_id: uuid.UUID) -> dict[str, Any]:
        """One payment with the invoices it settled."""
        payment = await access.readable_payment(
            db, payment_id, permissions=ctx.permissions, party_ids=ctx.party_ids
        )
        return payment_out(payment, await allocations_of(db, payment.id))

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
            payment = await allocate_credit(db, payment_id, wanted, actor_id=ctx.user_id)
            return 200, payment_out(payment, await allocations_of(db, payment.id))

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)
