"""The append-only audit log: who did what, when, to which object, with what changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditEntry

__all__ = ["Entry", "diff", "record"]


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


@dataclass(frozen=True, slots=True)
class Entry:
    """An audit entry not written yet: ``record`` adds it, ``sequences.assign_number`` writes it with
    the number it names."""

    actor_id: uuid.UUID | None
    object_type: str
    object_id: object
    action: str
    changes: dict[str, Any] = field(default_factory=dict)

    def plain_changes(self) -> dict[str, Any]:
        """The changes as stored: JSON values, anything else as its text."""
        return {k: _plain(v) for k, v in self.changes.items()}

    def row(self, **more: Any) -> AuditEntry:
        """The entry's row, with ``more`` changes."""
        return AuditEntry(
            actor_id=self.actor_id,
            object_type=self.object_type,
            object_id=str(self.object_id),
            action=self.action,
            changes={**self.plain_changes(), **{k: _plain(v) for k, v in more.items()}},
        )


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
    session.add(Entry(actor_id, object_type, object_id, action, changes or {}).row())
