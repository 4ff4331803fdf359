"""In-transaction domain events.

``publish(session, name, payload)`` awaits every handler subscribed to ``name`` with the same
session, before the caller commits: a handler's writes commit or roll back with the cause. Handlers
come from the modules' declarations (``Module.events``); a module disabled for the session's tenant
is not called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenancy import current_tenant_id
from core.models import TenantModule
from core.module import EventHandler, Module

__all__ = ["Event", "EventBus", "publish"]


@dataclass(frozen=True, slots=True)
class Event:
    """A fact another module may react to: ``name`` such as ``membership.activated``."""

    name: str
    payload: Mapping[str, Any]


class EventBus:
    """Handlers by event name, each tagged with the module that owns it."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[str | None, EventHandler]]] = defaultdict(list)

    @classmethod
    def from_modules(cls, modules: Sequence[Module]) -> EventBus:
        bus = cls()
        for module in modules:
            for name, handlers in module.events.items():
                for handler in handlers:
                    bus.subscribe(name, handler, module=module.name)
        return bus

    def subscribe(self, name: str, handler: EventHandler, *, module: str | None = None) -> None:
        self._handlers[name].append((module, handler))

    def unsubscribe(self, name: str, handler: EventHandler) -> None:
        self._handlers[name] = [(m, h) for m, h in self._handlers[name] if h is not handler]

    async def publish(self, session: AsyncSession, event: Event) -> None:
        """Run every handler of ``event`` inside the caller's transaction."""
        handlers = self._handlers.get(event.name)
        if not handlers:
            return
        enabled: set[str] | None = None
        if any(module is not None for module, _ in handlers) and current_tenant_id(session) is not None:
            enabled = set((await session.scalars(select(TenantModule.module))).all())
        for module, handler in handlers:
            if module is not None and enabled is not None and module not in enabled:
                continue
            await handler(session, event)


_bus = EventBus()


def bus() -> EventBus:
    """The process's bus, filled by the application at start-up."""
    return _bus


def install(new_bus: EventBus) -> None:
    global _bus
    _bus = new_bus


async def publish(session: AsyncSession, name: str, payload: Mapping[str, Any]) -> None:
    """Publish ``name`` with ``payload`` to the process's bus, in the caller's transaction."""
    await _bus.publish(session, Event(name, payload))
