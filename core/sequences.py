"""Gapless numbering: per tenant, per series, optionally per year.

A counter row per (tenant, series, period) is incremented with ``UPDATE ... RETURNING`` in the
caller's transaction. The row lock serialises concurrent allocators on PostgreSQL; on SQLite writers
already run one at a time (``BEGIN IMMEDIATE``). A rolled-back transaction rolls its number back, so
numbers have no gaps and no duplicates. Call it as late as possible before commit: the lock is held
until then.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenancy import TenantScopeError, current_tenant_id
from core.errors import InvalidInput
from core.models import SequenceCounter

__all__ = ["format_number", "next_number", "next_value"]


def format_number(pattern: str, *, number: int, on: date) -> str:
    """Fill a pattern such as ``INV-{year}-{number:05d}``."""
    try:
        return pattern.format(number=number, year=on.year, month=f"{on.month:02d}")
    except (KeyError, ValueError, IndexError) as exc:
        raise InvalidInput.field("pattern", f"{pattern!r} is not a valid number pattern: {exc}") from None


async def next_value(session: AsyncSession, series: str, *, period: str = "") -> int:
    """The next number of ``series`` (in ``period``) for the session's tenant, gapless."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise TenantScopeError("sequences are per tenant; the session has none")
    bump = (
        update(SequenceCounter)
        .where(
            SequenceCounter.tenant_id == tenant_id,
            SequenceCounter.series == series,
            SequenceCounter.period == period,
        )
        .values(value=SequenceCounter.value + 1)
        .returning(SequenceCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = (await session.execute(bump)).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        async with session.begin_nested():
            await session.execute(
                insert(SequenceCounter).values(tenant_id=tenant_id, series=series, period=period, value=0)
            )
    except IntegrityError:
        pass  # another transaction created the row first; its lock orders us after it
    value = (await session.execute(bump)).scalar_one()
    return int(value)


async def next_number(session: AsyncSession, series: str, pattern: str, *, on: date, per_year: bool) -> str:
    """Allocate and format the next number, e.g. ``INV-2026-00042``."""
    period = str(on.year) if per_year else ""
    value = await next_value(session, series, period=period)
    return format_number(pattern, number=value, on=on)
