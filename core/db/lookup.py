"""Loading one tenant-owned row by id, as every service does."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import TenantScoped
from core.db.tenancy import all_tenants, current_tenant_id
from core.errors import NotFound

__all__ = ["fetch", "hold"]

T = TypeVar("T")


async def fetch(
    session: AsyncSession, model: type[T], row_id: uuid.UUID, *, what: str, for_update: bool = False
) -> T:
    """The ``model`` row with ``row_id`` in the session's tenant; ``NotFound`` ("no such <what>") when
    it does not exist or belongs to another tenant (the two are indistinguishable on purpose).

    A tenant-owned row is looked up by its whole primary key (tenant, id): a row this session already
    holds is returned without a query. ``for_update``: read it afresh and lock it until the transaction
    ends (PostgreSQL ``FOR UPDATE``; SQLite's writer already holds the database), so a concurrent change
    of the same row waits and then sees this one's result.

    The row is held by the session until it closes (the identity map alone holds rows weakly), so
    fetching it again in the same request, in another service, costs no query either."""
    tenant_id = current_tenant_id(session)
    if tenant_id is not None and issubclass(model, TenantScoped):
        # The key names the tenant: the session's tenant filter would only repeat it.
        found = await session.get(
            model,
            (tenant_id, row_id),
            with_for_update=for_update or None,
            populate_existing=for_update,
            execution_options=all_tenants(),
        )
    else:
        column: Any = model.id  # type: ignore[attr-defined]
        statement = select(model).where(column == row_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        found = await session.scalar(statement)
    if found is None:
        raise NotFound(f"no such {what}")
    hold(session, found, row_id)
    return found


def hold(session: AsyncSession, row: object, row_id: uuid.UUID) -> None:
    """Keep ``row`` (loaded by any query) until the session closes, so ``fetch`` finds it without a query."""
    session.info.setdefault("coopstack.held", {})[type(row), row_id] = row
