"""The floor under create+issue: a bare Litestar app that answers the same two calls as Coopstack's API
with the fewest statements they need, sent straight through asyncpg. It checks nothing but the token, the
membership, the module switch and the customer; it computes plain totals; each call's write is one
autocommitted statement. Benchmark code only (``bench.floor`` serves it): no product runs it.

Settings from the environment: ``FLOOR_DATABASE_URL`` (a plain ``postgresql://`` URL),
``FLOOR_SERIES`` (the numbering series it counts in) and ``FLOOR_DRIVER``: ``asyncpg`` (default) sends the
statements itself; ``sqlalchemy`` sends the same text through SQLAlchemy's thinnest path
(``exec_driver_sql`` on an autocommit connection of an async engine), to show that layer's own cost.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_USER = """
SELECT u.id AS user_id, t.id AS tenant_id
FROM api_token k
JOIN user_account u ON u.id = k.user_id AND u.is_active
JOIN tenant t ON t.slug = $2
JOIN tenant_user m ON m.user_id = u.id AND m.tenant_id = t.id
JOIN tenant_module s ON s.tenant_id = t.id AND s.module = 'invoicing'
WHERE k.token_hash = $1 AND k.revoked_at IS NULL
"""
_CUSTOMER = "SELECT id FROM party WHERE tenant_id = $1 AND id = $2"
_CREATE = """
WITH document AS (
  INSERT INTO invoicing_document (tenant_id, id, kind, state, customer_id, currency, language,
    payment_terms_days, notes, total_lines, total_allowances, total_charges, total_net, total_vat,
    total_gross, prepaid, amount_due, amount_settled, reminder_level, created_at, updated_at)
  VALUES ($1, $2, 'invoice', 'draft', $3, $4, 'en', 30, '', $5, 0, 0, $5, $6, $7, 0, $7, 0, 0, $8, $8)
), lines AS (
  INSERT INTO invoicing_line (tenant_id, document_id, position, description, quantity, unit, unit_price,
    discount, vat_category, vat_rate, net_amount)
  SELECT $1, $2, p, d, q, 'C62', u, 0, 'S', r, n
  FROM unnest($9::int[], $10::text[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[])
    AS x(p, d, q, u, r, n)
)
INSERT INTO audit_entry (tenant_id, id, at, actor_id, object_type, object_id, action, changes)
VALUES ($1, $15, $8, $16, 'invoice', $2::text, 'create', $17::json)
"""
_READ = """
SELECT d.total_net, d.total_vat, d.total_gross,
  (SELECT json_agg(l ORDER BY l.position) FROM invoicing_line l
   WHERE l.tenant_id = d.tenant_id AND l.document_id = d.id)::text AS lines
FROM invoicing_document d WHERE d.tenant_id = $1 AND d.id = $2 AND d.state = 'draft'
"""
_ISSUE = """
WITH draft AS (
  SELECT id FROM invoicing_document WHERE tenant_id = $1 AND id = $2 AND state = 'draft' FOR UPDATE
), counter AS (
  UPDATE sequence_counter SET value = value + 1
  WHERE tenant_id = $1 AND series = $9 AND period = '' AND EXISTS (SELECT 1 FROM draft) RETURNING value
), issued AS (
  UPDATE invoicing_document SET state = 'issued', number = 'FLOOR-' || lpad(counter.value::text, 6, '0'),
    issue_date = $3, due_date = $4, snapshot = $5::json, issued_at = $6, updated_at = $6
  FROM counter WHERE tenant_id = $1 AND id = $2 RETURNING number
), audit AS (
  INSERT INTO audit_entry (tenant_id, id, at, actor_id, object_type, object_id, action, changes)
  SELECT $1, $7, $6, $8, 'invoice', $2::text, 'issue', json_build_object('number', issued.number) FROM issued
)
SELECT number FROM issued
"""
_CENT = Decimal("0.01")


class _Statements:
    """One request's connection: asyncpg's own, or SQLAlchemy's around it."""

    def __init__(self, connection: asyncpg.Connection | AsyncConnection) -> None:
        self.connection = connection

    async def row(self, sql: str, *args: Any) -> Sequence[Any] | None:
        if isinstance(self.connection, AsyncConnection):
            return (await self.connection.exec_driver_sql(sql, args)).first()
        return await self.connection.fetchrow(sql, *args)  # type: ignore[no-any-return]

    async def run(self, sql: str, *args: Any) -> None:
        if isinstance(self.connection, AsyncConnection):
            await self.connection.exec_driver_sql(sql, args)
        else:
            await self.connection.execute(sql, *args)


class _Database:
    pool: asyncpg.Pool | None = None
    engine: AsyncEngine | None = None

    async def open(self) -> None:
        url = os.environ["FLOOR_DATABASE_URL"]
        # Sized for all 16 clients' connections landing on one worker: no connection is opened mid-run.
        if os.environ.get("FLOOR_DRIVER", "asyncpg") == "sqlalchemy":
            url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
            self.engine = create_async_engine(url, pool_size=16, max_overflow=4, isolation_level="AUTOCOMMIT")
        else:
            self.pool = await asyncpg.create_pool(url, min_size=2, max_size=20)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
        if self.pool is not None:
            await self.pool.close()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[_Statements]:
        if self.engine is not None:
            async with self.engine.connect() as connection:
                yield _Statements(connection)
        else:
            assert self.pool is not None
            async with self.pool.acquire() as pooled:
                yield _Statements(pooled)


_db = _Database()


async def _user(db: _Statements, request: Request[Any, Any, Any], tenant: str) -> Sequence[Any]:
    """The user's id and the tenant's, or 404."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    row = await db.row(_USER, hashlib.sha256(token.encode()).hexdigest(), tenant)
    if row is None:
        raise NotFoundException()
    return row


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@post("/api/v1/tenants/{tenant:str}/invoices", status_code=201)
async def create(request: Request[Any, Any, Any], tenant: str, data: dict[str, Any]) -> dict[str, Any]:
    async with _db.connect() as db:
        user_id, tenant_id = await _user(db, request, tenant)
        customer = await db.row(_CUSTOMER, tenant_id, uuid.UUID(data["customer_id"]))
        if customer is None:
            raise HTTPException(status_code=422, detail="no such customer")
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        net = vat = Decimal(0)
        for position, line in enumerate(data["lines"], 1):
            quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
            rate = Decimal(line["vat_rate"])
            amount = (quantity * price).quantize(_CENT)
            net += amount
            vat += amount * rate / 100
            values = (position, line["description"], quantity, price, rate, amount)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        vat = vat.quantize(_CENT)
        document, now = uuid.uuid4(), datetime.now(UTC)
        await db.run(
            _CREATE, tenant_id, document, customer[0], data["currency"], net, vat, net + vat, now, *columns,
            uuid.uuid4(), user_id, json.dumps({"lines": len(data["lines"])}),
        )  # fmt: skip
    total = str(net + vat)
    return {
        "id": str(document),
        "state": "draft",
        "number": None,
        "total_net": str(net),
        "total_vat": str(vat),
        "total_gross": total,
        "amount_due": total,
    }


@post("/api/v1/tenants/{tenant:str}/invoices/{document:uuid}/issue", status_code=200)
async def issue(request: Request[Any, Any, Any], tenant: str, document: uuid.UUID) -> dict[str, Any]:
    async with _db.connect() as db:
        user_id, tenant_id = await _user(db, request, tenant)
        draft = await db.row(_READ, tenant_id, document)
        if draft is None:
            raise NotFoundException()
        today, now = date.today(), datetime.now(UTC)  # noqa: DTZ011 - a bench
        snapshot = json.dumps({"lines": json.loads(draft[3]), "total_gross": str(draft[2])})
        issued = await db.row(
            _ISSUE, tenant_id, document, today, today + timedelta(days=30), snapshot, now, uuid.uuid4(),
            user_id, os.environ["FLOOR_SERIES"],
        )  # fmt: skip
    if issued is None:
        raise HTTPException(status_code=409, detail="not a draft")
    return {"id": str(document), "state": "issued", "number": issued[0]}


app = Litestar([healthz, create, issue], on_startup=[_db.open], on_shutdown=[_db.close])
