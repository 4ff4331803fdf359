"""A tenant's invoicing settings, created with defaults on first use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.invoicing.models import InvoicingSettings

__all__ = ["get_settings"]


async def get_settings(session: AsyncSession) -> InvoicingSettings:
    """The session tenant's settings (the defaults until someone changes them)."""
    found = await session.scalar(select(InvoicingSettings))
    if found is None:
        found = InvoicingSettings(reminder_days=[7, 21, 45], smtp={})
        session.add(found)
        await session.flush()
    return found
