"""What other modules may ask of invoicing (``modules.invoicing.public``): raise an invoice from lines,
see a member's open invoices and balances, pay one (in mutual credit, say)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.db.engine import Database
from core.errors import NotFound
from core.registry import ModuleRegistry
from modules.invoicing.errors import AlreadyPaid
from modules.invoicing.public import InvoiceLine, Invoicing
from modules.invoicing.vocabulary import DocumentState, PaymentMethod
from tests.conftest import Coop, World
from tests.modules.invoicing.conftest import make_customer

TODAY = date(2026, 3, 2)
MUTUAL_CREDIT = PaymentMethod.MUTUAL_CREDIT
DUES = [
    InvoiceLine(
        description="Membership dues 2026",
        quantity=Decimal(1),
        unit_price=Decimal(50),
        vat_rate=Decimal(0),
        vat_category="E",
        exemption_reason="Membership dues",
    )
]


async def test_dues_raised_for_a_member_stay_open_until_paid_in_mutual_credit(
    client: AsyncTestClient[Litestar], database: Database, shop: Coop, registry: ModuleRegistry
) -> None:
    INVOICING = registry.service("invoicing", Invoicing)  # noqa: N806 - as another module names it
    member = uuid.UUID((await make_customer(client, shop))["id"])
    async with database.transaction(tenant_id=shop.id) as session:
        raised = await INVOICING.raise_invoice(session, member, DUES, today=TODAY)
    assert (raised.state, raised.amount_due, raised.balance) == (
        DocumentState.ISSUED,
        Decimal("50.00"),
        Decimal("50.00"),
    )
    assert raised.number is not None and raised.issue_date == TODAY

    async with database.transaction(tenant_id=shop.id) as session:
        assert [i.id for i in await INVOICING.open_invoices(session, member)] == [raised.id]
        paid = await INVOICING.record_payment(
            session,
            raised.id,
            Decimal("30.00"),
            method=PaymentMethod.MUTUAL_CREDIT,
            received_on=TODAY,
            today=TODAY,
        )
    assert (paid.amount, paid.unallocated) == (Decimal("30.00"), Decimal("0.00"))

    async with database.transaction(tenant_id=shop.id) as session:
        part = await INVOICING.invoice(session, raised.id)
        assert (part.state, part.balance) == (DocumentState.PARTIALLY_PAID, Decimal("20.00"))
        rest = await INVOICING.record_payment(
            session,
            raised.id,
            Decimal("25.00"),
            method=PaymentMethod.MUTUAL_CREDIT,
            received_on=TODAY,
            today=TODAY,
        )
    assert rest.unallocated == Decimal("5.00")  # held as the member's credit

    async with database.transaction(tenant_id=shop.id) as session:
        assert await INVOICING.open_invoices(session, member) == []
        assert (await INVOICING.invoice(session, raised.id)).state == DocumentState.PAID
        with pytest.raises(AlreadyPaid):
            await INVOICING.record_payment(
                session, raised.id, Decimal(1), method=PaymentMethod.CASH, received_on=TODAY, today=TODAY
            )


async def test_a_draft_raised_for_review_is_not_open_and_another_tenant_sees_nothing(
    client: AsyncTestClient[Litestar], database: Database, shop: Coop, world: World, registry: ModuleRegistry
) -> None:
    INVOICING = registry.service("invoicing", Invoicing)  # noqa: N806
    member = uuid.UUID((await make_customer(client, shop))["id"])
    async with database.transaction(tenant_id=shop.id) as session:
        draft = await INVOICING.raise_invoice(session, member, DUES, today=TODAY, issue=False)
    assert (draft.state, draft.number) == (DocumentState.DRAFT, None)
    async with database.transaction(tenant_id=shop.id) as session:
        assert await INVOICING.open_invoices(session, member) == []
    other = await world.coop(modules=("invoicing",))
    async with database.transaction(tenant_id=other.id) as session:
        with pytest.raises(NotFound):
            await INVOICING.invoice(session, draft.id)


def test_the_contract_is_what_the_registry_hands_out(registry: ModuleRegistry) -> None:
    assert isinstance(registry.service("invoicing", Invoicing), Invoicing)
