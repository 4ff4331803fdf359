"""A co-op's parties with their memberships: the list (search, pages, adding a party with its
membership) and one party's page."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import memberships, parties
from core.errors import DomainError, InvalidInput
from core.models import Membership
from core.tenants import TenantContext
from core.web.shell import form_data, is_htmx, length_errors, redirect, render

__all__ = ["PARTY_PAGES", "memberships_of", "render_party"]

PAGE_SIZE = 25
_LIMITS = {"name": 200, "email": 254, "vat_id": 32, "city": 100}
_NEXT_STATUSES = {
    "applicant": (("active", "Admit"), ("left", "Record leaving")),
    "active": (("suspended", "Suspend"), ("left", "Record leaving")),
    "suspended": (("active", "Reinstate"), ("left", "Record leaving")),
    "left": (),
}


async def memberships_of(db: AsyncSession, party_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Membership]:
    """The membership of each of ``party_ids`` that has one."""
    if not party_ids:
        return {}
    found = await db.scalars(select(Membership).where(Membership.party_id.in_(party_ids)))
    return {m.party_id: m for m in found.all()}


async def _parties_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    *,
    q: str | None,
    cursor: str | None,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response[Any]:
    q = (q or "").strip()[:100] or None
    try:
        page = await parties.list_parties(db, q=q, kind=None, limit=PAGE_SIZE, cursor=cursor)
    except InvalidInput:  # a cursor from elsewhere: start again from the first page
        page = await parties.list_parties(db, q=q, kind=None, limit=PAGE_SIZE, cursor=None)
    context: dict[str, Any] = {
        "q": q or "",
        "parties": page.items,
        "memberships": await memberships_of(db, [p.id for p in page.items]),
        "next_cursor": page.next_cursor,
        "is_continued": bool(cursor),
        "kinds": parties.PARTY_KINDS,
        "form": form or {"kind": "organisation"},
        "errors": errors or {},
        "error": error,
    }
    template = "core/_party_results.html" if is_htmx(request) else "core/parties.html"
    return await render(request, db, template, ctx=ctx, status=status, **context)


@get("/t/{tenant:str}/parties", opt={"permission": "core.parties.view"})
async def parties_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    q: str | None = None,
    cursor: str | None = None,
) -> Response[Any]:
    """Parties with their membership, by name; ``q`` searches name, e-mail, VAT number and city."""
    return await _parties_page(request, db, ctx, q=q, cursor=cursor)


@post("/t/{tenant:str}/parties", opt={"permission": "core.parties.manage"})
async def add_party(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """Create a party and its membership (admitted at once, or as an applicant)."""
    form = await form_data(request)
    values: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "name": form.get("name", ""),
        "email": form.get("email") or None,
        "vat_id": form.get("vat_id") or None,
    }
    address = {k: form[k] for k in ("city", "country") if form.get(k)}
    if address:
        values["address"] = address
    admit = form.get("admit") == "yes"
    try:
        too_long = length_errors(form, _LIMITS)
        if too_long:
            raise InvalidInput("some fields are too long", errors=too_long)
        party = await parties.create_party(db, values, actor_id=ctx.user_id)
        await memberships.create_membership(
            db,
            party_id=party.id,
            class_code=None,
            status="active" if admit else "applicant",
            on=ctx.today(),
            actor_id=ctx.user_id,
        )
    except InvalidInput as exc:
        await db.rollback()
        errors = {_form_field(e["field"]): e["message"] for e in exc.errors}
        return await _parties_page(
            request, db, ctx, q=None, cursor=None, status=422, form=form, errors=errors, error=exc.detail
        )
    except DomainError as exc:
        await db.rollback()
        return await _parties_page(
            request, db, ctx, q=None, cursor=None, status=exc.status, form=form, error=exc.detail
        )
    await db.commit()
    what = "admitted as a member" if admit else "recorded as an applicant"
    return redirect(request, f"/t/{ctx.slug}/parties", notice=f"{party.name} is {what}.")


def _form_field(field: str) -> str:
    """The form's name for a service's field (the form has no nested address)."""
    return field.removeprefix("address.")


async def render_party(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    party_id: uuid.UUID,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response[Any]:
    party = await parties.get_party(db, party_id)
    membership = (await memberships_of(db, [party.id])).get(party.id)
    actions = _NEXT_STATUSES[membership.status] if membership else ()
    return await render(
        request,
        db,
        "core/party.html",
        ctx=ctx,
        status=status,
        party=party,
        address=parties.party_address(party),
        membership=membership,
        actions=actions,
        error=error,
    )


@get("/t/{tenant:str}/parties/{party_id:uuid}", opt={"permission": "core.parties.view"})
async def party_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID
) -> Response[Any]:
    """One party: its details and its membership."""
    return await render_party(request, db, ctx, party_id)


PARTY_PAGES = [parties_page, add_party, party_page]
