"""The ``coop`` command: serve, database, tenants, users, modules, the demo seed; modules add groups."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import tenants
from core.db.engine import Database
from core.errors import DomainError
from core.identity import create_user, make_hasher
from core.models import Tenant, TenantUser, User
from core.registry import ModuleRegistry, RegistryError, discover
from core.settings import Settings, SettingsError

__all__ = ["main"]

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


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


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _registry() -> ModuleRegistry:
    try:
        return discover()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


class CoopGroup(click.Group):
    """The root group; installed modules' command groups are added when it is built."""


@click.group(cls=CoopGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Coopstack: a modular business suite for co-operatives."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, type=int, help="Server processes (stateless; share the DB)."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    _settings()
    _registry()
    uvicorn.run(
        "core.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers if not reload else None,
        reload=reload,
        proxy_headers=True,
        log_level="info",
        access_log=False,
    )


@main.group()
def db() -> None:
    """Database migrations and backups."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Bring the database (core and every installed module) to REVISION (default: all heads)."""
    from core.db import migrate

    settings = _settings()
    _migrating(lambda: migrate.upgrade(settings.database_url, _registry(), revision))
    click.echo(f"database at {', '.join(sorted(migrate.current(settings.database_url))) or 'base'}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION (e.g. ``invoicing@base`` to remove one module's tables)."""
    from core.db import migrate

    settings = _settings()
    _migrating(lambda: migrate.downgrade(settings.database_url, _registry(), revision))
    click.echo(f"database at {', '.join(sorted(migrate.current(settings.database_url))) or 'base'}")


@db.command("current")
def db_current() -> None:
    """Show the revisions the database is at, and whether it is up to date."""
    from core.db import migrate

    settings = _settings()
    now = migrate.current(settings.database_url)
    latest = migrate.heads(settings.database_url, _registry())
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
        database = Database(_settings().database_url)
        try:
            pruned = await prune_expired(database)
        finally:
            await database.dispose()
        click.echo(f"pruned {pruned.idempotency_keys} idempotency keys and {pruned.sessions} sessions")

    _run(go())


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET, while it keeps serving."""
    source = _sqlite_path(_settings())
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
    target = _sqlite_path(_settings())
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


@main.group()
def tenant() -> None:
    """Tenants (co-ops) of this install."""


@tenant.command("create")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. 'green-grocers'.")
@click.option("--name", required=True, help="The co-op's name.")
@click.option("--currency", default="EUR", show_default=True, help="Base currency (ISO 4217).")
@click.option("--locale", default="en", show_default=True, help="Language of documents and pages.")
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of the co-op.")
def tenant_create(slug: str, name: str, currency: str, locale: str, timezone: str) -> None:
    """Create a tenant."""

    async def go() -> Tenant:
        database = Database.of(_settings())
        try:
            async with database.transaction() as session:
                found = await tenants.create_tenant(
                    session, slug=slug, name=name, currency=currency, locale=locale, timezone=timezone
                )
                session.info["tenant_id"] = found.id
                from core.memberships import ensure_default_class

                await ensure_default_class(session)
                return found
        finally:
            await database.dispose()

    created = _run(go())
    click.echo(f"created tenant {created.slug} ({created.id})")


@tenant.command("list")
def tenant_list() -> None:
    """List tenants."""

    async def go() -> list[Tenant]:
        database = Database.of(_settings())
        try:
            async with database.session(write=False) as session:
                return list((await session.scalars(select(Tenant).order_by(Tenant.slug))).all())
        finally:
            await database.dispose()

    for found in _run(go()):
        click.echo(f"{found.slug}\t{found.name}\t{found.currency}\t{found.locale}")


@tenant.command("show")
@click.argument("slug")
def tenant_show(slug: str) -> None:
    """Show a tenant's details, enabled modules and users."""

    async def go() -> tuple[Tenant, set[str], list[tuple[str, str]]]:
        database = Database.of(_settings())
        try:
            async with database.session(write=False) as session:
                found = await tenants.tenant_by_slug(session, slug)
                session.info["tenant_id"] = found.id
                modules = await tenants.enabled_modules(session)
                users = (
                    await session.execute(
                        select(User.email, TenantUser.role).join(TenantUser, TenantUser.user_id == User.id)
                    )
                ).all()
                return found, modules, list(users)
        finally:
            await database.dispose()

    found, modules, users = _run(go())
    click.echo(f"slug:      {found.slug}\nname:      {found.name}\nlegal:     {found.legal_name}")
    click.echo(f"currency:  {found.currency}\nlocale:    {found.locale}\ntimezone:  {found.timezone}")
    click.echo(f"modules:   {', '.join(sorted(modules)) or '(none)'}")
    for email, role in users:
        click.echo(f"user:      {email} ({role})")


@main.group()
def user() -> None:
    """Users and their roles."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from an argument).",
)
def user_create(email: str, name: str, password_stdin: bool) -> None:
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    settings = _settings()

    async def go() -> User:
        database = Database.of(settings)
        try:
            async with database.transaction() as session:
                return await create_user(
                    session, make_hasher(settings), email=email, name=name, password=password
                )
        finally:
            await database.dispose()

    created = _run(go())
    click.echo(f"created user {created.email} ({created.id})")


@user.command("grant")
@click.option("--tenant", "slug", required=True)
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["owner", "admin", "bookkeeper", "member", "viewer"])
)
@click.option("--party", "party_id", default=None, help="The member party this user acts for.")
def user_grant(slug: str, email: str, role: str, party_id: str | None) -> None:
    """Give a user a role in a tenant (with --party, acting for that member party)."""
    import uuid

    async def go() -> None:
        database = Database.of(_settings())
        try:
            async with database.transaction() as session:
                found = await tenants.tenant_by_slug(session, slug)
                session.info["tenant_id"] = found.id
                target = await session.scalar(select(User).where(User.email == email.strip().lower()))
                if target is None:
                    raise click.ClickException(f"no user {email}; create it with `coop user create`")
                try:
                    party = uuid.UUID(party_id) if party_id else None
                except ValueError:
                    raise click.ClickException(f"--party {party_id!r} is not a party id") from None
                await tenants.grant_role(session, user=target, role=role, party_id=party)
        finally:
            await database.dispose()

    _run(go())
    click.echo(f"{email} is {role} in {slug}" + (f", acting for party {party_id}" if party_id else ""))


@main.group()
def modules() -> None:
    """Installed modules and their activation per tenant."""


@modules.command("list")
def modules_list() -> None:
    """Installed modules, their versions and dependencies."""
    registry = _registry()
    if not registry.modules:
        click.echo("no modules installed")
    for module in registry:
        depends = ", ".join(module.depends) or "-"
        click.echo(f"{module.name}\t{module.version}\t{module.title}\tdepends: {depends}")


def _toggle(slug: str, name: str, *, enable: bool) -> None:
    registry = _registry()

    async def go() -> None:
        database = Database.of(_settings())
        try:
            async with database.transaction() as session:
                found = await tenants.tenant_by_slug(session, slug)
                session.info["tenant_id"] = found.id
                if enable:
                    await tenants.enable_module(session, registry, name, actor_id=None)
                else:
                    await tenants.disable_module(session, registry, name, actor_id=None)
        finally:
            await database.dispose()

    _run(go())
    click.echo(f"{name} {'enabled' if enable else 'disabled'} for {slug}")


@modules.command("enable")
@click.option("--tenant", "slug", required=True)
@click.argument("name")
def modules_enable(slug: str, name: str) -> None:
    """Switch module NAME on for a tenant (its dependencies must be on)."""
    _toggle(slug, name, enable=True)


@modules.command("disable")
@click.option("--tenant", "slug", required=True)
@click.argument("name")
def modules_disable(slug: str, name: str) -> None:
    """Switch module NAME off for a tenant (its data stays)."""
    _toggle(slug, name, enable=False)


@main.command()
def demo() -> None:
    """Seed a demo co-op with members, users and each module's sample data (safe to run again)."""
    from core.demo import seed

    settings = _settings()
    seeded = _run(seed(settings, _registry()))
    for note in seeded.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo("Demo co-op ready at http://127.0.0.1:8000/  (tenant: demo)")
    for email, password, role in seeded.logins:
        click.echo(f"  {role:<11} {email}  password: {password}")


def _add_module_commands() -> None:
    try:
        registry = discover()
    except RegistryError:
        return  # `coop` still runs; commands that need modules report the error
    for module in registry:
        if module.cli is not None and module.cli.name not in main.commands:
            main.add_command(module.cli, module.name)


_add_module_commands()
