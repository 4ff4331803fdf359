"""Alembic environment shared by the core and every module (see ``core.db.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import core.models  # noqa: F401 - registers the core's tables on the shared metadata
from core.db.base import Base
from core.db.migrate import sync_url

config = context.config
database_url: str = config.attributes["database_url"]


def run_migrations() -> None:
    url = sync_url(database_url)
    engine = create_engine(url, poolclass=pool.NullPool)
    is_sqlite = url.startswith("sqlite")
    with engine.connect() as connection:
        if is_sqlite:
            # Batch migrations copy tables; enforced foreign keys would break the copy.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


run_migrations()
