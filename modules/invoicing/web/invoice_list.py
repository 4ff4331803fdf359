"""The invoice list: filters, pages, and the totals of what the filters select."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.pagination import paginate
from core.tenants import TenantContext
from core.web.shell import is_htmx
from modules.invoicing.models import Document
from modules.invoicing.services import access, search
from modules.invoicing.vocabulary import KINDS, STATES
from modules.invoicing.web.layout import page, parse_date

__all__ = ["LIST_PAGES"]

PAGE_SIZE = 25
_FILTERS = ("state", "kind", "customer", "date_from", "date_to", "overdue", "q")


def _read_filters(
    raw: dict[str, str | None], parties: tuple[uuid.UUID, ...] | None
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
    if parties is not None:  # a member sees its issued documents only
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
    parties = access.readable_parties(ctx.permissions, ctx.party_ids)
    values, typed, errors = _read_filters(raw, parties)
    statement = search.document_statement(parties=parties, today=ctx.today(), **values)
    try:
        found = await search.documents_page(db, statement, limit=PAGE_SIZE, cursor=cursor)
    except InvalidInput:  # a cursor from elsewhere: start again from the first page
        cursor = None
        found = await paginate(
            db, statement, sort=Document.created_at, id_column=Document.id, limit=PAGE_SIZE, cursor=None
        )
    documents: list[Document] = found.items
    staff = parties is None
    query = {name: value for name, value in typed.items() if value}
    context: dict[str, Any] = {
        "documents": documents,
        "names": await search.names_of(db, [d.customer_id for d in documents]),
        "totals": await search.filtered_totals(db, statement),
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
    context["customers"] = await search.customers(db) if staff else []
    return await page(request, db, ctx, "invoicing/list.html", **context)


LIST_PAGES = [invoice_list]
