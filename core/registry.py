"""Module discovery and validation.

Phases, as in Django's app loading: find every ``coopstack.modules`` entry point and load its
``Module``; validate the set (names, dependencies, cycles, permission and table prefixes, migrations);
order it by dependency; check that every event a module subscribes to is declared by the core or by an
installed module. A broken module stops the start-up with a message naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from importlib.metadata import entry_points
from typing import TypeVar

from core.module import Module, Permission
from core.party_events import CORE_EVENTS
from core.permissions import CORE_PERMISSIONS, ROLES, permissions_by_role

__all__ = ["ENTRY_POINT_GROUP", "ModuleRegistry", "RegistryError", "ServiceUnavailable", "discover"]

ServicesT = TypeVar("ServicesT")

ENTRY_POINT_GROUP = "coopstack.modules"


class RegistryError(RuntimeError):
    """An installed module breaks the contract; the message names it and says how."""


class ServiceUnavailable(LookupError):
    """Another module's services were asked for but are not there, or not of the type asked for."""


@dataclass(frozen=True)
class ModuleRegistry:
    """The installed modules, in dependency order."""

    modules: tuple[Module, ...] = ()
    by_name: dict[str, Module] = field(default_factory=dict)

    @classmethod
    def of(cls, modules: Iterable[Module]) -> ModuleRegistry:
        ordered = _validate(list(modules))
        return cls(modules=tuple(ordered), by_name={m.name: m for m in ordered})

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def get(self, name: str) -> Module | None:
        return self.by_name.get(name)

    def service(self, name: str, interface: type[ServicesT]) -> ServicesT:
        """The services module ``name`` publishes, checked against ``interface`` (the Protocol of its
        ``public.py``, ``runtime_checkable``): how one module calls another without importing it.
        Whether the module is on for a tenant is the caller's question."""
        module = self.by_name.get(name)
        if module is None:
            raise ServiceUnavailable(f"module {name!r} is not installed, so its services are not available")
        if module.services is None:
            raise ServiceUnavailable(f"module {name!r} publishes no services")
        if getattr(interface, "_is_protocol", False) and not getattr(
            interface, "_is_runtime_protocol", False
        ):
            raise TypeError(f"{interface.__name__} must be a @runtime_checkable Protocol to look services up")
        if not isinstance(module.services, interface):
            raise ServiceUnavailable(
                f"module {name!r} publishes {type(module.services).__name__}, "
                f"which does not implement {interface.__name__}"
            )
        return module.services

    @property
    def permissions(self) -> tuple[Permission, ...]:
        return CORE_PERMISSIONS + tuple(p for m in self.modules for p in m.permissions)

    def role_permissions(self) -> dict[str, frozenset[str]]:
        return permissions_by_role(self.permissions)

    def dependants(self, name: str) -> list[str]:
        """Modules that need ``name``."""
        return [m.name for m in self.modules if name in m.depends]


def discover() -> ModuleRegistry:
    """Load every module named in the ``coopstack.modules`` entry-point group."""
    found: list[Module] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = ep.load()
        except Exception as exc:
            dist = ep.dist.name if ep.dist else "?"
            raise RegistryError(f"module {ep.name!r} (from {dist}) failed to load: {exc}") from exc
        if not isinstance(module, Module):
            raise RegistryError(f"entry point {ep.name!r} must name a core.module.Module, not {type(module)}")
        if module.name != ep.name:
            raise RegistryError(f"entry point {ep.name!r} declares a module named {module.name!r}")
        found.append(module)
    return ModuleRegistry.of(found)


def _validate(modules: list[Module]) -> list[Module]:
    names = [m.name for m in modules]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RegistryError(f"two installed modules share the name {sorted(duplicates)}")
    by_name = {m.name: m for m in modules}
    tables: dict[str, str] = {}
    for module in modules:
        if not module.name.isidentifier() or module.name == "core":
            raise RegistryError(f"module name {module.name!r} must be a Python identifier other than 'core'")
        for dep in module.depends:
            if dep not in by_name:
                raise RegistryError(f"module {module.name!r} depends on {dep!r}, which is not installed")
        for permission in module.permissions:
            if not permission.name.startswith(f"{module.name}."):
                raise RegistryError(
                    f"permission {permission.name!r} of module {module.name!r} must start with "
                    f"'{module.name}.'"
                )
            unknown = [role for role in permission.roles if role not in ROLES]
            if unknown:
                raise RegistryError(
                    f"permission {permission.name!r} of module {module.name!r} names unknown roles {unknown}"
                )
        for table in module.tables:
            if not table.startswith(f"{module.name}_"):
                raise RegistryError(
                    f"table {table!r} of module {module.name!r} must start with '{module.name}_'"
                )
            if table in tables:
                raise RegistryError(f"table {table!r} is claimed by {tables[table]!r} and {module.name!r}")
            tables[table] = module.name
        if module.tables and (module.migrations is None or not module.migrations.is_dir()):
            raise RegistryError(f"module {module.name!r} has tables but no migrations directory")
    _validate_events(modules)
    sorter = TopologicalSorter({m.name: set(m.depends) for m in modules})
    try:
        order = list(sorter.static_order())
    except CycleError as exc:
        raise RegistryError(f"modules depend on each other in a cycle: {exc.args[1]}") from exc
    return [by_name[name] for name in order]


def _validate_events(modules: list[Module]) -> None:
    """Each event is declared once; each subscription names a declared event."""
    declared: dict[str, str] = {event.name: "the core" for event in CORE_EVENTS}
    for module in modules:
        for event in module.publishes:
            if event.name in declared:
                raise RegistryError(
                    f"event {event.name!r} published by module {module.name!r} is already declared by "
                    f"{declared[event.name]}"
                )
            declared[event.name] = f"module {module.name!r}"
    for module in modules:
        for name in module.events:
            if name not in declared:
                raise RegistryError(
                    f"module {module.name!r} subscribes to event {name!r}, which neither the core nor an "
                    "installed module declares"
                )
