"""``coop db``: migrations of the core and every installed module, pruning, and SQLite backups."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from core.cli.root import load_registry, load_settings, run
from core.db.engine import Database
from core.settings import Settings

__all__ = ["db"]


def _migrating(action: Callable[[], None]) -> None:
    """Run a migration step; explain Alembic's refusals instead of printing a traceback."""
    from alembic.util import CommandError

    try:
        action()
    except CommandError as exc:
        hint = ""
        if "Can't locate revision" in str(exc):
            hint = (
                " The database has revisions of a module that is no longer installed: reinstall it, run "
                "`coop db downgrade <module>@base`, then uninstall it."
            )
        raise click.ClickException(f"{exc}.{hint}") from None


@click.group()
def db() -> None:
    """Database migrations and backups."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Bring the database (core and every installed module) to REVISION (default: all heads)."""
    from core.db import migrate

    settings = load_settings()
    url = settings.migration_url
    _migrating(lambda: migrate.upgrade(url, load_registry(), revision, app_role=settings.application_role))
    click.echo(f"database at {', '.join(sorted(migrate.current(url))) or 'base'}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION (e.g. ``invoicing@base`` to remove one module's tables)."""
    from core.db import migrate

    settings = load_settings()
    url = settings.migration_url
    _migrating(lambda: migrate.downgrade(url, load_registry(), revision))
    click.echo(f"database at {', '.join(sorted(migrate.current(url))) or 'base'}")


@db.command("current")
def db_current() -> None:
    """Show the revisions the database is at, and whether it is up to date."""
    from core.db import migrate

    settings = load_settings()
    now = migrate.current(settings.migration_url)
    latest = migrate.heads(settings.migration_url, load_registry())
    for revision in sorted(now) or ["(empty database)"]:
        click.echo(revision)
    click.echo(
        "up to date"
        if now == latest
        else f"behind: run `coop db upgrade` (heads: {', '.join(sorted(latest))})"
    )


def _sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise click.ClickException(
            "backup and restore here are for the embedded SQLite database; on PostgreSQL use "
            "pg_dump -Fc and pg_restore (see docs/deploy.md)"
        )
    return Path(make_url(settings.database_url).database or "")


@db.command("prune")
def db_prune() -> None:
    """Delete idempotency keys past their 24 hours and expired browser sessions (servers do it hourly)."""
    from core.housekeeping import prune_expired

    async def go() -> None:
        database = Database(load_settings().database_url)
        try:
            pruned = await prune_expired(database)
        finally:
            await database.dispose()
        click.echo(f"pruned {pruned.idempotency_keys} idempotency keys and {pruned.sessions} sessions")

    run(go())


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET, while it keeps serving."""
    source = _sqlite_path(load_settings())
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise click.ClickException(f"the copy failed its integrity check: {result}")
    click.echo(f"backed up {source} to {target} ({target.stat().st_size} bytes, integrity ok)")


@db.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_restore(source: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup SOURCE (stop the server first)."""
    target = _sqlite_path(load_settings())
    with sqlite3.connect(source) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise click.ClickException(f"{source} failed its integrity check: {result}")
    if not yes:
        click.confirm(f"Replace {target} with {source}?", abort=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    click.echo(f"restored {target} from {source}")
