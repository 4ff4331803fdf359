"""Declarative base shared by the core and every module, and the tenant-scoped mixin.

One ``MetaData`` with a naming convention serves all modules, so string foreign keys resolve across
modules and SQLite batch migrations can name every constraint.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Dialect,
    ForeignKey,
    MetaData,
    Numeric,
    Uuid,
    func,
    type_coerce,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["Amount", "Base", "TenantScoped", "UtcDateTime", "amount_sum", "new_id", "utcnow"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A fresh random identifier (never guessable, never sequential across tenants)."""
    return uuid.uuid4()


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """An exact decimal amount.

    PostgreSQL stores ``NUMERIC(precision, scale)``; SQLite, which has no exact decimal type, stores
    the amount as a whole number of ``10**-scale`` units, so sums and comparisons in SQL stay exact.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 19, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        # Refused on every backend: PostgreSQL's NUMERIC would otherwise round it silently.
        scaled = amount.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{amount} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(scaled)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


def amount_sum(expression: Any, *, zero: bool = False) -> ColumnElement[Decimal]:
    """``SUM`` of amounts read back exactly on every backend: SQLite keeps amounts as scaled integers,
    so both the summed expression and the result go through ``Amount``, which arithmetic in SQL would
    otherwise lose. ``zero=True`` answers 0 rather than NULL when there is nothing to sum."""
    total: ColumnElement[Any] = func.sum(type_coerce(expression, Amount()))
    if zero:
        total = func.coalesce(total, 0)
    return type_coerce(total, Amount())


class Base(DeclarativeBase):
    """Base of every table, core and module alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), uuid.UUID: Uuid(), Decimal: Amount()}


class TenantScoped:
    """Mixin for rows a tenant owns.

    ``tenant_id`` leads the primary key, and every foreign key to another tenant-owned row includes
    it, so a row can never point into another tenant. Reads and writes through a ``TenantSession``
    are scoped to the session's tenant without each query repeating the filter.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805 - SQLAlchemy's declared_attr takes the class
        return mapped_column(Uuid(), ForeignKey("tenant.id"), primary_key=True, sort_order=-1)
