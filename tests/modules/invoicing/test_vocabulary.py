"""The vocabularies: every stored state, kind, method and frequency is one of theirs, and the database
refuses any other, whatever writes it."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.db.engine import Database
from modules.invoicing.models import Document
from modules.invoicing.vocabulary import (
    KINDS,
    STATES,
    DocumentKind,
    DocumentState,
    PaymentMethod,
    ReminderTone,
)
from tests.conftest import Coop
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def _draft(client: AsyncTestClient[Litestar], shop: Coop) -> uuid.UUID:
    customer = await make_customer(client, shop)
    answer = await client.post(
        f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
    )
    assert answer.status_code == 201, answer.text
    return uuid.UUID(answer.json()["id"])


@pytest.mark.parametrize(("column", "value"), [("state", "void"), ("kind", "receipt")])
async def test_the_database_refuses_a_state_or_kind_outside_the_vocabulary(
    client: AsyncTestClient[Litestar], database: Database, shop: Coop, column: str, value: str
) -> None:
    document_id = await _draft(client, shop)
    with pytest.raises(IntegrityError):
        async with database.transaction(tenant_id=shop.id) as session:
            await session.execute(update(Document).where(Document.id == document_id).values({column: value}))
    async with database.session(write=False, tenant_id=shop.id) as session:
        document = (await session.scalars(select(Document).where(Document.id == document_id))).one()
        assert (document.state, document.kind) == (DocumentState.DRAFT, DocumentKind.INVOICE)


def test_a_vocabulary_value_is_the_string_stored() -> None:
    assert STATES == ("draft", "issued", "partially_paid", "paid", "converted")
    assert KINDS == ("invoice", "credit_note", "quote")
    assert PaymentMethod("mutual_credit").label == "Mutual credit"
    assert DocumentState.ISSUED.label == "Open"


def test_the_third_and_later_reminders_share_the_final_wording() -> None:
    assert [ReminderTone.of(level) for level in (1, 2, 3, 4, 9)] == [
        ReminderTone.FIRST,
        ReminderTone.SECOND,
        ReminderTone.FINAL,
        ReminderTone.FINAL,
        ReminderTone.FINAL,
    ]
