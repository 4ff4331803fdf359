"""The migrations and the models agree, on SQLite and on PostgreSQL: an empty database upgraded to all
heads has exactly the schema the models describe, each branch has one head, and the way down and back
up again works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

import core.models  # noqa: F401 - the core's tables on the shared metadata
from core.cli import main
from core.db import migrate
from core.db.base import Base
from core.registry import ModuleRegistry
from tests.conftest import BACKENDS, PG_URL, create_pg_database, drop_pg_database


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend, for tests that move the schema up and down."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    assert PG_URL is not None
    url = create_pg_database(PG_URL)
    yield url
    drop_pg_database(PG_URL, url)


def schema_diff(url: str) -> list[Any]:
    """What autogenerate would write to bring the database to the models (empty when they agree)."""
    engine = create_engine(migrate.sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(migrate.sync_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_the_migrated_database_matches_the_models(database_url: str) -> None:
    assert schema_diff(database_url) == []


def test_upgrading_an_empty_database_creates_every_table(empty_url: str, registry: ModuleRegistry) -> None:
    assert migrate.current(empty_url) == set()
    migrate.upgrade(empty_url, registry)
    assert migrate.current(empty_url) == migrate.heads(empty_url, registry)
    assert tables(empty_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_diff(empty_url) == []


def test_every_branch_has_exactly_one_head(registry: ModuleRegistry) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://", registry))
    branches = ["core", *(m.name for m in registry if m.migrations is not None)]
    for branch in branches:
        head = script.revision_map.get_revisions(f"{branch}@head")
        assert len(head) == 1, f"branch {branch!r} has heads {head}"
        # Alembic copies a label onto every later revision of the branch; the original is what counts.
        labelled = [r for r in script.walk_revisions() if branch in (r._orig_branch_labels or ())]
        assert len(labelled) == 1, (
            f"branch {branch!r} is labelled on {labelled}; label only its first revision"
        )
    assert len(script.get_heads()) == len(branches)


def test_each_module_branch_starts_from_the_core(registry: ModuleRegistry) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://", registry))
    core_revisions = {r.revision for r in script.iterate_revisions("core@head", "base")}
    for module in registry:
        if module.migrations is None:
            continue
        bases = [r for r in script.walk_revisions() if module.name in r.branch_labels and not r.down_revision]
        assert len(bases) == 1, f"module {module.name!r} needs one first revision labelled {module.name!r}"
        needed = {r.revision for r in script.iterate_revisions(bases[0].revision, "base")}
        assert needed & core_revisions, f"module {module.name!r}'s first revision must depend_on the core"


def test_down_to_base_and_back_up_again(empty_url: str, registry: ModuleRegistry) -> None:
    migrate.upgrade(empty_url, registry)
    migrate.downgrade(empty_url, registry, "base")
    assert migrate.current(empty_url) == set()
    assert tables(empty_url) <= {"alembic_version"}
    migrate.upgrade(empty_url, registry)
    assert migrate.current(empty_url) == migrate.heads(empty_url, registry)
    assert schema_diff(empty_url) == []


def test_coop_db_current_says_whether_the_database_is_up_to_date(empty_url: str) -> None:
    env = {"COOPSTACK_DATABASE_URL": empty_url}
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current"], env=env, catch_exceptions=False)
    assert before.exit_code == 0, before.output
    assert "(empty database)" in before.output and "behind" in before.output
    upgraded = runner.invoke(main, ["db", "upgrade"], env=env, catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    after = runner.invoke(main, ["db", "current"], env=env, catch_exceptions=False)
    assert after.exit_code == 0, after.output
    assert after.output.rstrip().endswith("up to date"), after.output
