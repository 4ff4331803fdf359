"""Alembic, configured in code: one environment, one version table, one branch per module.

The core's revisions carry the branch label ``core``; each module's first revision carries its own
name and ``depends_on`` the core revision it needs. ``version_locations`` is built from the installed
modules, so a third-party module's migrations run with ``coop db upgrade`` and nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from core.db import row_security
from core.db.base import Base
from core.registry import ModuleRegistry

__all__ = ["alembic_config", "current", "downgrade", "heads", "sync_url", "upgrade"]

HERE = Path(__file__).parent / "migrations"


def sync_url(url: str) -> str:
    """The blocking driver's URL for an async URL (Alembic runs synchronously here)."""
    return (
        url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
        if "+asyncpg" in url
        else url.replace("+aiosqlite", "")
    )


def alembic_config(database_url: str, registry: ModuleRegistry) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    locations += [str(m.migrations) for m in registry if m.migrations is not None]
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["registry"] = registry
    return cfg


def upgrade(
    database_url: str, registry: ModuleRegistry, revision: str = "heads", *, app_role: str | None = None
) -> None:
    """Bring the core and every installed module to ``revision`` (default: all heads), then, on
    PostgreSQL, secure every tenant-owned table with row-level security and give ``app_role`` (the
    role the servers connect as, when it is another) its rights (``core.db.row_security``)."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url, registry), revision)
    if parsed.get_backend_name() == "postgresql":
        import core.models  # noqa: F401 - the core's tables on the shared metadata, with the modules'

        engine = create_engine(sync_url(database_url))
        try:
            with engine.begin() as connection:
                row_security.secure(connection, Base.metadata, app_role)
        finally:
            engine.dispose()


def downgrade(database_url: str, registry: ModuleRegistry, revision: str) -> None:
    command.downgrade(alembic_config(database_url, registry), revision)


def heads(database_url: str, registry: ModuleRegistry) -> set[str]:
    """The revisions a fully upgraded database is at: every branch's head, except a head that another
    head depends on (a module's first revision ``depends_on`` the core's), which Alembic does not
    record separately once the dependant is applied."""
    script = ScriptDirectory.from_config(alembic_config(database_url, registry))
    tips = set(script.get_heads())
    needed = {r.revision for tip in tips for r in script.iterate_revisions(tip, "base") if r.revision != tip}
    return tips - needed


def current(database_url: str) -> set[str]:
    """The revisions the database is at (empty for a new database)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
