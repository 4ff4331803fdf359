"""The root ``coop`` group, and what every command group shares: the install's settings and module
registry, each turned into a message rather than a traceback when it cannot be read, and a way to run a
service coroutine whose domain errors the operator reads as messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from core import tenants
from core.db.engine import Database
from core.errors import DomainError
from core.models import Tenant
from core.registry import ModuleRegistry, RegistryError, discover
from core.settings import Settings, SettingsError

__all__ = ["CoopGroup", "in_tenant", "load_registry", "load_settings", "main", "run"]

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a broken business rule ends the command with its explanation."""
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


def load_settings() -> Settings:
    """The install's settings from the environment, or the reason they are wrong as the command's error."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def load_registry() -> ModuleRegistry:
    """The installed modules, or the reason they do not fit together as the command's error."""
    try:
        return discover()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


@asynccontextmanager
async def in_tenant(slug: str, *, write: bool = True) -> AsyncIterator[tuple[AsyncSession, Tenant]]:
    """A session on the install's database scoped to the tenant ``slug`` (one transaction that
    commits when the block ends, when ``write``), with the tenant; the database is closed after."""
    database = Database.of(load_settings())
    try:
        async with database.session(write=write) as session, session.begin():
            found = await tenants.tenant_by_slug(session, slug)
            session.info["tenant_id"] = found.id
            yield session, found
    finally:
        await database.dispose()


class CoopGroup(click.Group):
    """The root group; installed modules' command groups are added when it is built."""


@click.group(cls=CoopGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Coopstack: a modular business suite for co-operatives."""
