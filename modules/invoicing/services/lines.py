"""An invoice's lines and document-level allowances and charges: parsed from input, stored, read back.

Lines are written and read as plain values (``LineSnapshot``, ``AdjustmentRow``), not mapped objects:
a document's rows are only ever replaced whole, and building mapped objects cost more than the SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import (
    Column,
    Table,
    bindparam,
    delete,
    false,
    insert,
    null,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenancy import TenantScopeError, all_tenants, required_tenant_id
from core.errors import InvalidInput
from core.money import parse_amount
from core.text import check_texts
from modules.invoicing.models import Adjustment, Document, Line
from modules.invoicing.public import InvoiceLine
from modules.invoicing.services.discounts import line_discount
from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.snapshots import LineSnapshot
from modules.invoicing.services.totals import AdjustmentInput, LineInput, Totals, compute_totals

__all__ = [
    "MAX_LINES",
    "MAX_LINE_TEXT",
    "AdjustmentData",
    "AdjustmentLike",
    "AdjustmentRow",
    "LineData",
    "LineLike",
    "Rows",
    "StoredAdjustment",
    "StoredLine",
    "Written",
    "adjustment_data",
    "adjustment_inputs",
    "line_data",
    "line_inputs",
    "line_snapshot",
    "lines_of",
    "parse_adjustment",
    "parse_line",
    "write_lines",
]

MAX_LINES = 1000
MAX_LINE_TEXT = 100_000
"""Characters of line descriptions and exemption reasons in one document (about 30 printed pages):
its PDF is laid out in the time a preview is given (see ``previews``)."""


LineData = InvoiceLine
"""A draft's line: the same values another module invoices with (``public.InvoiceLine``)."""


AdjustmentData = AdjustmentInput
"""A draft's allowance or charge: exactly what the calculation takes of it, so one shape serves both."""


def parse_line(raw: dict[str, Any], index: int, *, currency: str | None = None) -> LineData:
    """A line from API or form data; amounts are decimal strings. The discount is an amount or a
    percentage ("10%"), which becomes its amount by ``line_discount`` in ``currency``'s decimals."""
    field = f"lines[{index}]"
    description = str(raw.get("description") or "").strip()
    if not description:
        raise InvalidInput.field(f"{field}.description", "must not be empty")
    if len(description) > 2000:
        raise InvalidInput.field(f"{field}.description", "must be at most 2000 characters")
    check_texts(raw, f"{field}.", lines=("description",))
    if raw.get("vat_rate") in (None, ""):
        raise InvalidInput.field(f"{field}.vat_rate", "is required (0 for zero-rated or exempt lines)")
    quantity = parse_amount(raw.get("quantity", "1"), field=f"{field}.quantity", places=4)
    unit_price = parse_amount(raw.get("unit_price", ""), field=f"{field}.unit_price", places=4)
    return LineData(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=parse_amount(raw["vat_rate"], field=f"{field}.vat_rate", places=2),
        vat_category=str(raw.get("vat_category") or "S").upper(),
        unit=str(raw.get("unit") or "C62").upper()[:8],
        discount=line_discount(
            raw.get("discount") or "0",
            quantity=quantity,
            unit_price=unit_price,
            places=document_places(currency) if currency else 2,
            field=f"{field}.discount",
        ),
        exemption_reason=(str(raw["exemption_reason"]).strip() or None)
        if raw.get("exemption_reason")
        else None,
    )


def parse_adjustment(raw: dict[str, Any], index: int) -> AdjustmentData:
    field = f"adjustments[{index}]"
    check_texts(raw, f"{field}.")
    if raw.get("vat_rate") in (None, ""):
        raise InvalidInput.field(f"{field}.vat_rate", "is required")
    return AdjustmentData(
        amount=parse_amount(raw.get("amount", ""), field=f"{field}.amount", places=2),
        vat_rate=parse_amount(raw["vat_rate"], field=f"{field}.vat_rate", places=2),
        is_charge=bool(raw.get("is_charge", False)),
        reason=str(raw.get("reason") or "")[:200],
        vat_category=str(raw.get("vat_category") or "S").upper(),
    )


class LineLike(Protocol):
    """Anything shaped like a line: a ``Line`` row, ``LineData``, a ``LineSnapshot``."""

    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def vat_category(self) -> str: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def exemption_reason(self) -> str | None: ...


class AdjustmentLike(Protocol):
    """Anything shaped like a document allowance or charge."""

    @property
    def is_charge(self) -> bool: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def vat_category(self) -> str: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def reason(self) -> str: ...


def line_inputs(lines: Sequence[LineLike]) -> list[LineInput]:
    """What the calculation engine needs of each line."""
    return [
        LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            discount=line.discount,
            exemption_reason=line.exemption_reason,
        )
        for line in lines
    ]


def adjustment_inputs(adjustments: Sequence[AdjustmentLike]) -> list[AdjustmentInput]:
    """What the calculation engine needs of each allowance or charge."""
    return [
        AdjustmentInput(
            is_charge=a.is_charge,
            amount=a.amount,
            vat_category=a.vat_category,
            vat_rate=a.vat_rate,
            reason=a.reason,
        )
        for a in adjustments
    ]


class StoredLine(LineLike, Protocol):
    """A line as stored: a ``Line`` row, or the ``LineSnapshot`` of one just written."""

    @property
    def position(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def net_amount(self) -> Decimal: ...


class StoredAdjustment(AdjustmentLike, Protocol):
    """An allowance or charge as stored: an ``Adjustment`` row, or the ``AdjustmentRow`` just written."""

    @property
    def position(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    """A stored allowance or charge: the values of its row (but its key), not a mapped object. Building
    mapped objects for rows that are only read cost more than the query or the INSERT."""

    position: int
    is_charge: bool
    amount: Decimal
    reason: str
    vat_category: str
    vat_rate: Decimal


class Rows(NamedTuple):
    """A document's lines and adjustments, in position order."""

    lines: Sequence[StoredLine]
    adjustments: Sequence[StoredAdjustment]


class Written(NamedTuple):
    """What ``write_lines`` stored: the totals, and the rows."""

    totals: Totals
    rows: Rows


async def lines_of(session: AsyncSession, document_id: uuid.UUID) -> Rows:
    """The document's lines and adjustments, in position order: their values, read in one round trip."""
    key = {"tenant_id": required_tenant_id(session), "document_id": document_id}
    lines: list[LineSnapshot] = []
    adjustments: list[AdjustmentRow] = []
    for row in await session.execute(_ROWS_OF, key):
        if row.is_line:
            lines.append(LineSnapshot(*(getattr(row, name) for name in _LINE_FIELDS)))
        else:
            adjustments.append(AdjustmentRow(*(getattr(row, name) for name in _ADJUSTMENT_FIELDS)))
    return Rows(lines, adjustments)


def _rows_of() -> Any:
    """A document's lines, then its adjustments, each in position order, as one statement: a column
    per field of either (NULL where the other kind has no such field). By the whole key, the tenant
    named by the statement, so the session's tenant filter would only repeat it. Built once (building
    a statement and keying it for SQLAlchemy's compiled cache cost more than running it)."""
    line, adjustment = _table(Line), _table(Adjustment)
    by_name = {
        name: (line.c.get(name), adjustment.c.get(name))
        for name in dict.fromkeys(_LINE_FIELDS + _ADJUSTMENT_FIELDS)
    }

    def part(table: Table, is_line: bool) -> Any:
        columns = [(true() if is_line else false()).label("is_line")]
        for name, (of_line, of_adjustment) in by_name.items():
            mine, other = (of_line, of_adjustment) if is_line else (of_adjustment, of_line)
            column = mine if mine is not None else type_coerce(null(), cast(Column[Any], other).type)
            columns.append(column.label(name))
        return select(*columns).where(
            table.c.tenant_id == bindparam("tenant_id"), table.c.document_id == bindparam("document_id")
        )

    rows = union_all(part(line, True), part(adjustment, False)).subquery()
    return select(rows).order_by(rows.c.is_line.desc(), rows.c.position).execution_options(**all_tenants())


def _table(model: type[Line | Adjustment]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _fields(values: type[LineSnapshot | AdjustmentRow], model: type[Line | Adjustment]) -> tuple[str, ...]:
    """The fields of ``values``: one per column of ``model`` but the key (checked at import)."""
    names = tuple(f.name for f in fields(values))
    if set(names) != {c.key for c in _table(model).columns} - {"tenant_id", "document_id"}:
        raise RuntimeError(f"{values.__name__} needs one field per column of {_table(model).name}")
    return names


_LINE_FIELDS, _ADJUSTMENT_FIELDS = _fields(LineSnapshot, Line), _fields(AdjustmentRow, Adjustment)
_ROWS_OF = _rows_of()

# Lines and adjustments are inserted with Core statements, built once: new rows need none of the unit
# of work's bookkeeping, which cost more than the INSERT (the rows returned stay unattached).
_LINES, _ADJUSTMENTS = insert(_table(Line)), insert(_table(Adjustment))


def _apply_totals(document: Document, totals: Totals) -> None:
    document.total_lines = totals.sum_lines
    document.total_allowances = totals.allowances
    document.total_charges = totals.charges
    document.total_net = totals.net
    document.total_vat = totals.vat
    document.total_gross = totals.gross
    document.amount_due = totals.due


async def write_lines(
    session: AsyncSession,
    document: Document,
    lines: Sequence[LineData],
    adjustments: Sequence[AdjustmentData],
    *,
    fresh: bool = False,
) -> Written:
    """Replace the document's lines and adjustments and store its totals (``fresh``: it has none yet)."""
    if len(lines) > MAX_LINES:
        raise InvalidInput.field("lines", f"at most {MAX_LINES} lines per document")
    if sum(len(line.description) + len(line.exemption_reason or "") for line in lines) > MAX_LINE_TEXT:
        raise InvalidInput.field(
            "lines", f"at most {MAX_LINE_TEXT:,} characters of text in a document's lines"
        )
    totals = compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )
    _apply_totals(document, totals)
    tenant_id = required_tenant_id(session)  # the INSERTs below are not stamped by the session
    if document.tenant_id not in (None, tenant_id):
        raise TenantScopeError("a document of another tenant cannot get lines here")
    if fresh:
        await session.flush()  # the document's row (with its totals) before its lines refer to it
    else:
        await session.execute(delete(Line).where(Line.document_id == document.id))
        await session.execute(delete(Adjustment).where(Adjustment.document_id == document.id))
    rows = [  # the values of the new rows, not mapped objects (see AdjustmentRow)
        line_snapshot(line, position=index + 1, net_amount=totals.line_nets[index])
        for index, line in enumerate(lines)
    ]
    extras = [
        AdjustmentRow(
            position=index + 1,
            is_charge=a.is_charge,
            amount=a.amount,
            reason=a.reason,
            vat_category=a.vat_category,
            vat_rate=a.vat_rate,
        )
        for index, a in enumerate(adjustments)
    ]
    key = {"tenant_id": tenant_id, "document_id": document.id}
    for statement, names, written in (
        (_LINES, _LINE_FIELDS, rows),
        (_ADJUSTMENTS, _ADJUSTMENT_FIELDS, extras),
    ):
        if written:
            await session.execute(
                statement, [{**key, **{n: getattr(row, n) for n in names}} for row in written]
            )
    return Written(totals, Rows(rows, extras))


def line_snapshot(line: LineData | StoredLine, *, position: int, net_amount: Decimal) -> LineSnapshot:
    """A line's values at ``position`` with its net amount (BT-131) as the calculation rounded it."""
    return LineSnapshot(
        position=position,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        discount=line.discount,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        net_amount=net_amount,
        exemption_reason=line.exemption_reason,
    )


def line_data(line: StoredLine) -> LineData:
    return LineData(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        vat_category=line.vat_category,
        unit=line.unit,
        discount=line.discount,
        exemption_reason=line.exemption_reason,
    )


def adjustment_data(adjustment: StoredAdjustment) -> AdjustmentData:
    return AdjustmentData(
        amount=adjustment.amount,
        vat_rate=adjustment.vat_rate,
        is_charge=adjustment.is_charge,
        reason=adjustment.reason,
        vat_category=adjustment.vat_category,
    )
