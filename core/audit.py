"""The append-only audit log: who did what, when, to which object, with what changes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditEntry

__all__ = ["diff", "record"]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float | dict | list):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


async def record(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    object_type: str,
    object_id: object,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the caller's transaction (it commits or rolls back with the change)."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            object_type=object_type,
            object_id=str(object_id),
            action=action,
            changes={k: _plain(v) for k, v in (changes or {}).items()},
        )
    )
