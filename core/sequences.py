"""Gapless numbering: per tenant, per series, optionally per year.

A counter row per (tenant, series, period) is incremented with ``UPDATE ... RETURNING`` in the
caller's transaction. The row lock serialises concurrent allocators on PostgreSQL; on SQLite writers
already run one at a time (``BEGIN IMMEDIATE``). A rolled-back transaction rolls its number back, so
numbers have no gaps and no duplicates. Take the number as late as possible before commit: the lock is
held until then, and every round trip after it is time the next allocator waits. ``assign_number``
takes it in the last statement that writes the numbered row (on PostgreSQL one statement does both).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import JSON, Integer, String, Table, bindparam, cast, func, insert, inspect, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ColumnProperty, InstrumentedAttribute, Mapper
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.db.base import new_id, utcnow
from core.db.tenancy import TenantScopeError, all_tenants, required_tenant_id
from core.errors import InvalidInput
from core.models import AuditEntry, SequenceCounter

__all__ = ["MAX_PATTERN", "assign_number", "check_pattern", "format_number", "next_number", "next_value"]


def _fields(on: date) -> dict[str, Any]:
    """What a pattern may name besides ``number``."""
    return {"year": on.year, "month": f"{on.month:02d}"}


def _period(on: date, per_year: bool) -> str:
    return str(on.year) if per_year else ""


MAX_PATTERN = 60
_PATTERN = re.compile(r"(?:[A-Za-z0-9._/# -]|\{year\}|\{month\}|\{number(?::0(?:[1-9]|10)d)?\})+")
"""A number pattern's grammar: letters, digits, ``. _ / # -``, spaces and the fields ``{year}``, ``{month}``,
``{number}`` or ``{number:0Nd}`` (zero-padded to N <= 10 digits). Nothing else: a number ends up in
file names, mail attachment names and headers, and a free format string could ask for a width of
millions or reach into the value's attributes."""


def check_pattern(pattern: str, field: str = "pattern") -> str:
    """``pattern`` when it follows the grammar and names ``{number}`` exactly once, else a 422 naming
    ``field`` that says what is allowed."""
    if len(pattern) > MAX_PATTERN or not _PATTERN.fullmatch(pattern) or pattern.count("{number") != 1:
        raise InvalidInput.field(
            field,
            f"{pattern[:MAX_PATTERN]!r} is not a number pattern: use at most {MAX_PATTERN} letters, "
            "digits, '.', '_', '/', '#', '-' or spaces with {year}, {month} and one {number} or "
            "{number:0Nd} (N up to 10), e.g. INV-{year}-{number:05d}",
        )
    return pattern


def format_number(pattern: str, *, number: int, on: date) -> str:
    """Fill a pattern such as ``INV-{year}-{number:05d}`` (checked first, whoever stored it)."""
    return check_pattern(pattern).format(number=number, **_fields(on))


def _split_pattern(pattern: str, on: date) -> tuple[str, int, str] | None:
    """``(prefix, width, suffix)`` when the pattern's number is one ``{number}`` or ``{number:0Nd}``
    field (zero-padded to at least N digits, as ``format`` does), else ``None``."""
    prefix: list[str] = []
    suffix: list[str] = []
    width: int | None = None
    values = _fields(on)
    try:
        for text, field, spec, conversion in string.Formatter().parse(pattern):
            (suffix if width is not None else prefix).append(text)
            if field is None:
                continue
            if conversion:
                return None
            if field == "number":
                padded = re.fullmatch(r"(?:0(\d+))?d?", spec or "")
                if width is not None or padded is None:
                    return None
                width = int(padded.group(1) or 0)
            else:
                (suffix if width is not None else prefix).append(format(values[field], spec or ""))
    except (KeyError, ValueError):
        return None
    return None if width is None else ("".join(prefix), width, "".join(suffix))


def _bump(tenant_id: Any, series: str, period: str) -> Any:
    return (
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


async def _create_counter(session: AsyncSession, tenant_id: Any, series: str, period: str) -> None:
    """The series' counter row at 0, unless another transaction has just created it."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(SequenceCounter).values(tenant_id=tenant_id, series=series, period=period, value=0)
            )
    except IntegrityError:
        pass  # another transaction created the row first; its lock orders us after it


async def next_value(session: AsyncSession, series: str, *, period: str = "") -> int:
    """The next number of ``series`` (in ``period``) for the session's tenant, gapless."""
    tenant_id = required_tenant_id(session)
    value = (await session.execute(_bump(tenant_id, series, period))).scalar_one_or_none()
    if value is None:
        await _create_counter(session, tenant_id, series, period)
        value = (await session.execute(_bump(tenant_id, series, period))).scalar_one()
    return int(value)


async def next_number(session: AsyncSession, series: str, pattern: str, *, on: date, per_year: bool) -> str:
    """Allocate and format the next number, e.g. ``INV-2026-00042``."""
    value = await next_value(session, series, period=_period(on, per_year))
    return format_number(pattern, number=value, on=on)


_LOGGED = ("tenant_id", "id", "at", "actor_id", "object_type", "object_id", "action")
"""The audit entry's columns the numbering statement fills from parameters (``changes`` it builds)."""

_NUMBERING: dict[tuple[Any, str, tuple[str, ...], bool], tuple[Any, list[ColumnProperty[Any]]]] = {}


def _numbering_statement(
    mapper: Mapper[Any], key: str, value_keys: tuple[str, ...], logged: bool
) -> tuple[Any, list[ColumnProperty[Any]]]:
    """The one statement that takes a number and writes it (see ``assign_number``), with the columns
    it stamps (``onupdate``, e.g. updated_at), given as ``seq_stamp_<key>``.

    Built once per table, column, set of written attributes and whether it writes an audit entry, with
    every value a bound parameter: building it, and keying a new statement for SQLAlchemy's compiled
    cache, cost more than running it.
    """
    cache_key = (mapper, key, value_keys, logged)
    known = _NUMBERING.get(cache_key)
    if known is not None:
        return known
    counter = (
        update(SequenceCounter)
        .where(
            SequenceCounter.tenant_id == bindparam("seq_tenant"),
            SequenceCounter.series == bindparam("seq_series"),
            SequenceCounter.period == bindparam("seq_period"),
        )
        .values(value=SequenceCounter.value + 1)
        .returning(SequenceCounter.value)
        .cte("counter")
    )
    digits = cast(counter.c.value, String)
    width = func.greatest(bindparam("seq_width", type_=Integer), func.length(digits))
    formatted = (
        bindparam("seq_prefix", type_=String)
        + func.lpad(digits, width, "0")
        + bindparam("seq_suffix", type_=String)
    )
    stamped = [
        prop
        for prop in mapper.column_attrs
        if prop.columns[0].onupdate is not None and prop.key not in value_keys
    ]
    for prop in stamped:
        onupdate: Any = prop.columns[0].onupdate
        if not (onupdate.is_scalar or onupdate.is_callable):
            raise ValueError(f"{prop.key}: only Python-side onupdate values can be stamped by numbering")
    columns = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
    keys = [bindparam(f"seq_key_{n}", type_=column.type) for n, column in enumerate(mapper.primary_key)]
    number = columns[key]
    numbered = mapper.local_table
    assert isinstance(numbered, Table)  # a mapped class of one table
    written = (
        update(numbered)
        .where(*(column == bound for column, bound in zip(mapper.primary_key, keys, strict=True)))
        .where(select(counter.c.value).exists())  # no counter row yet: the row is left as it is
        .values(
            {
                **{
                    columns[name]: bindparam(f"seq_value_{name}", type_=columns[name].type)
                    for name in value_keys
                },
                **{
                    prop.columns[0]: bindparam(f"seq_stamp_{prop.key}", type_=prop.columns[0].type)
                    for prop in stamped
                },
                number: select(formatted).scalar_subquery(),
            }
        )
        .returning(number)
        .cte("written")
    )
    write = select(written.c[number.name])
    if logged:
        # The audit entry naming the number, in the same statement: the series' lock then spans this
        # one round trip and the commit, not a third round trip for the entry.
        table = AuditEntry.__table__
        assert isinstance(table, Table)
        changes = cast(bindparam("log_changes", type_=JSON), JSONB).op("||", return_type=JSONB)(
            func.jsonb_build_object(bindparam("log_number_key", type_=String), written.c[number.name])
        )
        entry = select(
            *(bindparam(f"log_{name}", type_=table.c[name].type) for name in _LOGGED),
            cast(changes, JSON),
        ).select_from(written)
        write = write.add_cte(insert(table).from_select([*_LOGGED, "changes"], entry).cte("logged"))
    # Both the counter and the row are named by their whole key, tenant included (checked in
    # assign_number): the session's tenant filter would only repeat it.
    write = write.execution_options(**all_tenants())
    _NUMBERING[cache_key] = (write, stamped)
    return write, stamped


def _stamp(prop: ColumnProperty[Any]) -> Any:
    """What the column's Python-side ``onupdate`` gives now (e.g. ``updated_at``)."""
    default: Any = prop.columns[0].onupdate
    return default.arg if default.is_scalar else default.arg(None)  # SQLAlchemy passes a context


async def assign_number(
    session: AsyncSession,
    row: Any,
    attribute: InstrumentedAttribute[Any],
    series: str,
    pattern: str,
    *,
    on: date,
    per_year: bool,
    values: Mapping[str, Any] | None = None,
    log: audit.Entry | None = None,
) -> str:
    """Give ``row`` (already flushed) the next number of ``series``, written to ``attribute``, with
    ``values`` (attribute name to plain values of its columns, no SQL expressions) written by the same
    statement, and ``log`` written to the audit log with the number added to its changes (under the
    attribute's name; on PostgreSQL merged as JSONB, so its text must not contain NUL characters).

    On PostgreSQL, when the pattern's number is plain or zero-padded, one statement takes the number
    and writes it to the row (a data-modifying ``WITH``, the padding done in SQL): the series' lock
    then spans that one round trip and the commit. Elsewhere the number is taken, then written. Flush the
    transaction's other changes before: whatever is written after the number is written under the
    lock; the row's own changes go in ``values``.
    """
    state = inspect(row)
    if not state.persistent:
        raise ValueError("assign_number numbers a row already in the database: add and flush it first")
    period = _period(on, per_year)
    split = _split_pattern(pattern, on)
    values = dict(values or {})
    if split is None or session.get_bind().dialect.name != "postgresql":
        number = await next_number(session, series, pattern, on=on, per_year=per_year)
        for key, value in {**values, attribute.key: number}.items():
            setattr(row, key, value)
        if log is not None:
            session.add(log.row(**{attribute.key: number}))
        await session.flush()
        return number
    tenant_id = required_tenant_id(session)
    prefix, width, suffix = split
    mapper = state.mapper
    keys = dict(zip((column.key for column in mapper.primary_key), state.identity, strict=True))
    if "tenant_id" in keys and keys["tenant_id"] != tenant_id:
        raise TenantScopeError(f"a {mapper.class_.__name__} of another tenant cannot be numbered here")
    write, stamped = _numbering_statement(mapper, attribute.key, tuple(values), log is not None)
    now = utcnow()
    stamps = {prop.key: _stamp(prop) for prop in stamped}
    params: dict[str, Any] = {
        "seq_tenant": tenant_id,
        "seq_series": series,
        "seq_period": period,
        "seq_prefix": prefix,
        "seq_width": width,
        "seq_suffix": suffix,
        **{f"seq_key_{n}": value for n, value in enumerate(state.identity)},
        **{f"seq_value_{key}": value for key, value in values.items()},
        **{f"seq_stamp_{prop.key}": stamps[prop.key] for prop in stamped},
    }
    if log is not None:
        params.update(
            log_tenant_id=tenant_id,
            log_id=new_id(),
            log_at=now,
            log_actor_id=log.actor_id,
            log_object_type=log.object_type,
            log_object_id=str(log.object_id),
            log_action=log.action,
            log_changes=log.plain_changes(),
            log_number_key=attribute.key,
        )
    written = (await session.execute(write, params)).one_or_none()
    if written is None:  # the series' first number: its counter row does not exist yet
        await _create_counter(session, tenant_id, series, period)
        written = (await session.execute(write, params)).one_or_none()
        if written is None:
            raise LookupError(f"the {mapper.class_.__name__} to number is not in this tenant's database")
    (number,) = written
    for key, value in values.items():
        set_committed_value(row, key, value)
    set_committed_value(row, attribute.key, number)
    for key, value in stamps.items():
        set_committed_value(row, key, value)
    return str(number)
