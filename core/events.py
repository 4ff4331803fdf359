"""In-transaction domain events.

An event is declared once, as an :class:`EventType` (its name and the type of its payload), by whoever
publishes it: the core declares its own (``core.party_events``), a module lists the ones it publishes in
``Module.publishes``. The registry refuses at start-up a module that subscribes to an event nobody
declares, so a misspelt name is found before any user meets it.

``publish(session, EVENT, payload)`` awaits every handler subscribed to the event with the same session,
before the caller commits: a handler's writes commit or roll back with the cause. Handlers come from the
modules' declarations (``Module.events``); a module disabled for the session's tenant is not called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenancy import current_tenant_id
from core.models import TenantModule

if TYPE_CHECKING:
    from core.module import Module

__all__ = ["Event", "EventBus", "EventHandler", "EventType", "publish"]

PayloadT = TypeVar("PayloadT", bound=Mapping[str, Any])


@dataclass(frozen=True, slots=True)
class Event:
    """A fact another module may react to: ``name`` such as ``membership.activated``."""

    name: str
    payload: Mapping[str, Any]


EventHandler = Callable[[AsyncSession, Event], Awaitable[None]]
"""``async def handler(session, event)``, run inside the publisher's transaction."""


class EventType(Generic[PayloadT]):
    """A published event's declaration: its ``name`` (``<module>.<fact>``, or the core's ``party.*`` and
    ``membership.*``) and the type of its payload, a ``TypedDict`` so that handlers keep reading a plain
    mapping. Publishing through it lets the type checker hold the payload to its declared shape."""

    __slots__ = ("name", "payload")

    def __init__(self, name: str, payload: type[PayloadT]) -> None:
        self.name = name
        self.payload = payload

    def __repr__(self) -> str:
        return f"EventType({self.name!r}, {self.payload.__name__})"

    def read(self, event: Event) -> PayloadT:
        """``event``'s payload as this declaration types it (for a handler subscribed to it)."""
        if event.name != self.name:
            raise ValueError(f"a {event.name!r} event is not a {self.name!r} event")
        return cast(PayloadT, event.payload)


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


@overload
async def publish(session: AsyncSession, event: EventType[PayloadT], payload: PayloadT) -> None: ...


@overload
async def publish(session: AsyncSession, event: str, payload: Mapping[str, Any]) -> None: ...


async def publish(session: AsyncSession, event: EventType[Any] | str, payload: Mapping[str, Any]) -> None:
    """Publish ``event`` with ``payload`` to the process's bus, in the caller's transaction.

    Pass the declared :class:`EventType` and build the payload with its type,
    ``publish(session, PARTY_CREATED, PartyChanged(party_id=...))``, so the type checker holds the two
    together (a TypedDict is a plain dict: handlers read it as before). A bare name is still accepted."""
    name = event.name if isinstance(event, EventType) else event
    await _bus.publish(session, Event(name, payload))
