"""The module contract: what a module declares, once, in its ``module.py``.

A module exports ``MODULE = Module(...)`` and names it in the ``coopstack.modules`` entry-point group
of its distribution. Built-in modules and third-party packages are found the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import EventHandler, EventType

if TYPE_CHECKING:
    from core.db.engine import Database
    from core.settings import Settings
    from core.tenants import TenantContext

__all__ = [
    "CardLoader",
    "DailyJob",
    "DailyJobRun",
    "DashboardCard",
    "EventHandler",
    "EventType",
    "Module",
    "NavEntry",
    "Permission",
]


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


class DailyJobRun(Protocol):
    """``async def run(database, settings, tenant_id, today)``: one tenant's daily run. It opens its own
    transactions on ``database`` (scoped to ``tenant_id``); ``today`` is the day where the co-op is."""

    def __call__(
        self, database: Database, settings: Settings, tenant_id: uuid.UUID, today: date, /
    ) -> Awaitable[None]: ...


@dataclass(frozen=True, slots=True)
class DailyJob:
    """Work a module wants done once a day in every tenant that has it on (recurring invoices,
    reminders). ``run`` must be safe to run again the same day. The core's scheduler claims
    (tenant, job, day) in the database, so with several server processes each job still runs once a
    day per tenant; ``coop`` commands can run the same function by hand."""

    name: str
    run: DailyJobRun


class CardLoader(Protocol):
    """``async def load(session, ctx)``: what a dashboard card's template shows, read in the co-op's
    session (scoped to it) for the user of ``ctx``."""

    def __call__(self, session: AsyncSession, ctx: TenantContext, /) -> Awaitable[Mapping[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class DashboardCard:
    """A card on the co-op's dashboard. The core shows it where the module is on and the user holds
    ``permission``, ordered by ``order`` (the core's members card is 0), and renders ``template``
    (e.g. ``notes/cards/latest.html``) with ``card`` (this value) and ``data`` (what ``load`` returned).
    The macro ``bar_chart`` in ``core/charts.html`` draws a chart of :mod:`core.web.charts`."""

    title: str
    template: str
    load: CardLoader
    permission: str | None = None
    order: int = 100


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
    publishes: tuple[EventType[Any], ...] = ()
    """The events the module publishes (from its ``events.py``); others may subscribe to them."""
    events: Mapping[str, Sequence[EventHandler]] = field(default_factory=dict)
    """Event name → handlers; every name must be declared by the core or by an installed module."""
    services: object | None = None
    """What other modules may call: an object implementing the Protocol of the module's ``public.py``,
    looked up with ``registry.service(name, Protocol)``."""
    dashboard: tuple[DashboardCard, ...] = ()
    cli: click.Group | None = None
    daily_jobs: tuple[DailyJob, ...] = ()
    demo: Callable[[AsyncSession, date], Awaitable[None]] | None = None
    """Sample data for the demo co-op (``coop demo``, run by ``make run``): ``demo(session, today)``
    runs in the demo's transaction, tenant set, once the module is on; it finds its own data already
    there on later runs and then adds nothing. It also fills the module's tables for the tenant-isolation
    walk of the core's tests, so it should leave none of them empty."""
