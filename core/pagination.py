"""Cursor pagination: stable under inserts, cheap at any depth (keyset, never OFFSET).

The cursor is an opaque URL-safe token holding the last row's sort key and id.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.errors import InvalidInput

__all__ = ["MAX_LIMIT", "Page", "paginate"]

MAX_LIMIT = 200
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(values: Sequence[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidInput.field("cursor", "is not a cursor this API gave out") from None
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidInput.field("cursor", "is not a cursor this API gave out")
    return values


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    *,
    sort: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[uuid.UUID],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``statement`` ordered by ``(sort, id)``; ``cursor`` continues after the last page."""
    check_limit(limit)
    if cursor:
        last_sort, last_id = _decode(cursor)
        try:
            last_uuid = uuid.UUID(str(last_id))
            expected = getattr(sort.type, "impl_instance", sort.type).python_type  # through a TypeDecorator
            if issubclass(expected, datetime):
                last_sort = datetime.fromisoformat(last_sort)
                if last_sort.tzinfo is None:  # we only give out aware times; a naive one is made up
                    raise ValueError("naive cursor time")
            elif not isinstance(last_sort, expected):
                raise TypeError("cursor value of the wrong type")
        except (ValueError, TypeError, NotImplementedError):
            raise InvalidInput.field("cursor", "is not a cursor this API gave out") from None
        # A row-value comparison, which an index on (..., sort, id) answers as a range: the page after
        # the 5,000th row costs what the first one does (an OR of the two conditions was a filter).
        key, after = (
            tuple_(sort, id_column),
            tuple_(literal(last_sort, sort.type), literal(last_uuid, id_column.type)),
        )
        statement = statement.where(key < after if descending else key > after)
    order = (sort.desc(), id_column.desc()) if descending else (sort.asc(), id_column.asc())
    rows = list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, sort.key), getattr(last, id_column.key)])
    return Page(items=rows, next_cursor=next_cursor)
