"""A party's membership changed from its page: a first membership, admission, suspension,
reinstatement, leaving."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import memberships, parties
from core.errors import DomainError
from core.tenants import TenantContext
from core.web.party_pages import memberships_of, render_party
from core.web.shell import form_data, redirect

__all__ = ["MEMBERSHIP_PAGES"]


@post("/t/{tenant:str}/parties/{party_id:uuid}/membership", opt={"permission": "core.parties.manage"})
async def change_membership(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID
) -> Response[Any]:
    """Admit, suspend, reinstate or record the leaving of a member; or record a first membership."""
    form = await form_data(request)
    wanted = form.get("status", "")
    party = await parties.get_party(db, party_id)
    membership = (await memberships_of(db, [party_id])).get(party_id)
    try:
        if membership is None:
            await memberships.create_membership(
                db, party_id=party_id, class_code=None, status=wanted, on=ctx.today(), actor_id=ctx.user_id
            )
        else:
            await memberships.change_membership_status(
                db, membership.id, wanted, on=ctx.today(), actor_id=ctx.user_id
            )
    except DomainError as exc:
        await db.rollback()
        return await render_party(request, db, ctx, party_id, status=exc.status, error=exc.detail)
    await db.commit()
    return redirect(
        request, f"/t/{ctx.slug}/parties/{party_id}", notice=f"{party.name}'s membership is now {wanted}."
    )


MEMBERSHIP_PAGES = [change_membership]
