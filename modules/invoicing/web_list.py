"""The invoice list (filters, pages, totals of what is shown) and a customer's account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy import ColumnElement, Select, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core import parties
from core.db.base import Amount
from core.errors import InvalidInput
from core.pagination import paginate
from core.tenants import TenantContext
from core.web.shell import is_htmx
from modules.invoicing.api import list_statement, readable
from modules.invoicing.models import Document, Payment
from modules.invoicing.services.balances import customer_balances
from modules.invoicing.vocabulary import KINDS, STATES
from modules.invoicing.web_common import customers, names_of, page, parse_date

__all__ = ["LIST_PAGES"]

PAGE_SIZE = 25
HISTORY_SIZE = 50
_FILTERS = ("state", "kind", "customer", "date_from", "date_to", "overdue", "q")


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    count: int
    gross: Decimal
    balance: Decimal


def _sum(expression: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Decimal]:
    """``SUM`` read back as an exact amount on every backend (SQLite keeps amounts as scaled integers)."""
    return type_coerce(func.coalesce(func.sum(expression), 0), Amount())


def _open_balance() -> ColumnElement[Any]:
    """What is still owed on a document; nothing on a draft."""
    return case((Document.state == "draft", 0), else_=Document.amount_due - Document.amount_settled)


async def filtered_totals(db: AsyncSession, statement: Select[Any]) -> list[CurrencyTotal]:
    """Count, gross total and open balance of every document ``statement`` selects, per currency."""
    rows = await db.execute(
        statement.with_only_columns(
            Document.currency, func.count(Document.id), _sum(Document.total_gross), _sum(_open_balance())
        )
        .group_by(Document.currency)
        .order_by(Document.currency)
    )
    return [CurrencyTotal(row[0], int(row[1]), row[2], row[3]) for row in rows]


def _read_filters(
    raw: dict[str, str | None], ctx: TenantContext
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The list's filters from the query string: (values for the query, as typed, errors)."""
    typed = {name: (raw.get(name) or "").strip()[:100] for name in _FILTERS}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "state": None,
        "kind": "invoice",
        "customer_id": None,
        "date_from": parse_date(typed["date_from"], "date_from", errors),
        "date_to": parse_date(typed["date_to"], "date_to", errors),
        "overdue": typed["overdue"] in ("1", "yes", "on", "true"),
        "q": typed["q"] or None,
    }
    if typed["state"] in STATES:
        values["state"] = typed["state"]
    elif typed["state"]:
        errors["state"] = "is not a state an invoice has"
    if typed["kind"] in KINDS:
        values["kind"] = typed["kind"]
    elif typed["kind"]:
        errors["kind"] = "is not a kind of document"
    if typed["customer"]:
        try:
            values["customer_id"] = uuid.UUID(typed["customer"])
        except ValueError:
            errors["customer"] = "is not a customer"
    if readable(ctx) is not None:  # a member sees its issued documents only
        if values["state"] == "draft":
            values["state"] = None
        values["customer_id"] = None
    return values, typed, errors


@get("/invoices", opt={"permission": None})
async def invoice_list(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    kind: str | None = None,
    customer: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    overdue: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
) -> Response[Any]:
    """Invoices newest first, filtered by state, customer, issue dates, overdue and number; with the
    count, total and open balance of everything the filters select."""
    raw = {
        "state": state_filter,
        "kind": kind,
        "customer": customer,
        "date_from": date_from,
        "date_to": date_to,
        "overdue": overdue,
        "q": q,
    }
    values, typed, errors = _read_filters(raw, ctx)
    statement = list_statement(ctx, **values)
    try:
        found = await paginate(
            db,
            statement,
            sort=Document.created_at,
            id_column=Document.id,
            limit=PAGE_SIZE,
            cursor=cursor,
            descending=True,
        )
    except InvalidInput:  # a cursor from elsewhere: start again from the first page
        cursor = None
        found = await paginate(
            db, statement, sort=Document.created_at, id_column=Document.id, limit=PAGE_SIZE, cursor=None
        )
    documents: list[Document] = found.items
    staff = readable(ctx) is None
    query = {name: value for name, value in typed.items() if value}
    context: dict[str, Any] = {
        "documents": documents,
        "names": await names_of(db, [d.customer_id for d in documents]),
        "totals": await filtered_totals(db, statement),
        "filters": typed,
        "query": query,
        "errors": errors,
        "next_cursor": found.next_cursor,
        "is_continued": bool(cursor),
        "staff": staff,
        "states": STATES,
        "kinds": KINDS,
        "is_filtered": bool(query),
    }
    if is_htmx(request):
        return await page(request, db, ctx, "invoicing/_list_results.html", **context)
    context["customers"] = await customers(db) if staff else []
    return await page(request, db, ctx, "invoicing/list.html", **context)


@get("/customers/{party_id:uuid}", opt={"permission": "invoicing.view"})
async def customer_account(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID
) -> Response[Any]:
    """A customer: what it owes, past due and in credit, and its invoices, credit notes and payments."""
    party = await parties.get_party(db, party_id)
    documents = await db.scalars(
        select(Document)
        .where(Document.customer_id == party_id, Document.kind.in_(("invoice", "credit_note")))
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(HISTORY_SIZE)
    )
    received = await db.scalars(
        select(Payment)
        .where(Payment.customer_id == party_id)
        .order_by(Payment.received_on.desc(), Payment.created_at.desc())
        .limit(HISTORY_SIZE)
    )
    return await page(
        request,
        db,
        ctx,
        "invoicing/customer.html",
        party=party,
        address=parties.party_address(party),
        balances=await customer_balances(db, party_id, today=ctx.today()),
        documents=list(documents),
        payments=list(received),
        history_size=HISTORY_SIZE,
    )


LIST_PAGES = [invoice_list, customer_account]
