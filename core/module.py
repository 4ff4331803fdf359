"""The module contract: what a module declares, once, in its ``module.py``.

A module exports ``MODULE = Module(...)`` and names it in the ``coopstack.modules`` entry-point group
of its distribution. Built-in modules and third-party packages are found the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["DailyJob", "EventHandler", "Module", "NavEntry", "Permission"]

EventHandler = Callable[[AsyncSession, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Permission:
    """A right a module defines, and the tenant roles that hold it by default."""

    name: str
    title: str
    roles: tuple[str, ...] = ("owner", "admin")


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A menu entry in the web shell; ``path`` is relative to ``/t/{tenant}/``."""

    title: str
    path: str
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True, slots=True)
class DailyJob:
    """Work a module wants done once a day in every tenant that has it on (recurring invoices,
    reminders). ``run(database, settings, tenant_id, today)`` must be safe to run again the same day.
    The core's scheduler claims (tenant, job, day) in the database, so with several server processes
    each job still runs once a day per tenant; ``coop`` commands can run the same function by hand."""

    name: str
    run: Callable[[Any, Any, Any, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    """A module's declaration, read by the core at start-up."""

    name: str
    title: str
    version: str
    depends: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    migrations: Path | None = None
    api: Sequence[ControllerRouterHandler] = ()
    """Handlers mounted under ``/api/v1/tenants/{tenant:str}``; answer 404 where the module is off."""
    pages: Sequence[ControllerRouterHandler] = ()
    """Page handlers mounted under ``/t/{tenant:str}``."""
    public: Sequence[ControllerRouterHandler] = ()
    """Unauthenticated handlers under ``/p/{tenant:str}`` (e.g. membership applications)."""
    templates: Path | None = None
    nav: tuple[NavEntry, ...] = ()
    permissions: tuple[Permission, ...] = ()
    events: Mapping[str, Sequence[EventHandler]] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)
    cli: click.Group | None = None
    daily_jobs: tuple[DailyJob, ...] = ()
    demo: Callable[[AsyncSession, date], Awaitable[None]] | None = None
    """Sample data for the demo co-op (``coop demo``, run by ``make run``): ``demo(session, today)``
    runs in the demo's transaction, tenant set, once the module is on; it finds its own data already
    there on later runs and then adds nothing."""
