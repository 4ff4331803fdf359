"""``Idempotency-Key`` for POSTs that create or move value.

The key, a fingerprint of the request and the first answer are stored in the same transaction as the
effect. The same key with the same request replays the stored answer; with another request it is
refused with 409. Two concurrent requests with one key: the second waits on the key's row, finds the
first's answer, and its own effect is rolled back. Keys are scoped per user and tenant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.errors import Conflict, InvalidInput
from core.models import IdempotencyRecord
from core.tenants import TenantContext

__all__ = ["HEADER", "KEPT_FOR", "idempotent", "prune", "user_scope"]

HEADER = "idempotency-key"
KEPT_FOR = timedelta(hours=24)
"""How long a key is remembered (docs/api.md promises 24 hours)."""
_encoder = msgspec.json.Encoder()


def user_scope(ctx: TenantContext) -> str:
    """The scope of a user's keys in a tenant: the same key from another user or tenant is another key."""
    return f"{ctx.tenant_id}:{ctx.user_id}"


def _fingerprint(request: Request[Any, Any, Any], body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.url.path.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response[bytes]:
    if record.request_hash != fingerprint:
        raise Conflict("this Idempotency-Key was already used with a different request")
    return Response(
        content=record.body,
        status_code=record.status_code,
        media_type="application/json",
        headers={"Idempotency-Replayed": "true"},
    )


async def idempotent(
    session: AsyncSession,
    request: Request[Any, Any, Any],
    scope: str,
    produce: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response[bytes]:
    """Run ``produce`` (which must not commit) once per key, commit, and answer; replay on a repeat."""
    key = request.headers.get(HEADER)
    if key is None:
        status, payload = await produce()
        await session.commit()
        return Response(content=_encoder.encode(payload), status_code=status, media_type="application/json")
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidInput.field("Idempotency-Key", "must be 1 to 255 printable characters")
    fingerprint = _fingerprint(request, await request.body())
    found = await session.get(IdempotencyRecord, (scope, key))
    if found is not None:
        return _replay(found, fingerprint)
    status, payload = await produce()
    body = _encoder.encode(payload)
    session.add(
        IdempotencyRecord(scope=scope, key=key, request_hash=fingerprint, status_code=status, body=body)
    )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        found = await session.get(IdempotencyRecord, (scope, key))
        if found is None:
            raise
        return _replay(found, fingerprint)
    return Response(content=body, status_code=status, media_type="application/json")


async def prune(
    session: AsyncSession, *, older_than: timedelta = KEPT_FOR, now: datetime | None = None
) -> int:
    """Forget keys older than ``older_than`` (a reuse after that is a new request)."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < (now or utcnow()) - older_than)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
