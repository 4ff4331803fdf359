"""The module registry refuses a set of modules that breaks the contract, naming the module at fault,
and orders the rest so that every module comes after the modules it needs; it also checks that every
event a module listens to is declared, and hands one module's services to another by their Protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypedDict, runtime_checkable

import pytest

from core.events import EventType
from core.module import Module, Permission
from core.registry import ModuleRegistry, RegistryError, ServiceUnavailable


def module(name: str, **fields: object) -> Module:
    return Module(name=name, title=name.title(), version="1.0", **fields)  # type: ignore[arg-type]


def refused(*modules: Module) -> str:
    with pytest.raises(RegistryError) as caught:
        ModuleRegistry.of(modules)
    return str(caught.value)


def test_an_empty_install_is_valid_and_keeps_the_core_permissions() -> None:
    registry = ModuleRegistry.of([])
    assert list(registry) == []
    assert "core.modules.manage" in {p.name for p in registry.permissions}


def test_two_modules_with_one_name_are_refused() -> None:
    assert "'stock'" in refused(module("stock"), module("stock"))


def test_a_missing_dependency_is_refused_naming_both_modules() -> None:
    message = refused(module("reports", depends=("ledger",)))
    assert "'reports'" in message and "'ledger'" in message


def test_a_dependency_cycle_is_refused_naming_its_members() -> None:
    message = refused(module("a", depends=("b",)), module("b", depends=("c",)), module("c", depends=("a",)))
    assert "cycle" in message
    assert all(f"'{name}'" in message for name in ("a", "b", "c"))


def test_a_module_depending_on_itself_is_a_cycle() -> None:
    assert "cycle" in refused(module("loop", depends=("loop",)))


def test_a_permission_outside_the_modules_prefix_is_refused() -> None:
    message = refused(module("stock", permissions=(Permission("invoicing.issue", "Issue invoices"),)))
    assert "'invoicing.issue'" in message and "'stock'" in message and "'stock.'" in message


def test_a_permission_of_the_core_cannot_be_redefined_by_a_module() -> None:
    assert "'core.modules.manage'" in refused(
        module("stock", permissions=(Permission("core.modules.manage", "Take over"),))
    )


def test_a_table_outside_the_modules_prefix_is_refused(tmp_path: Path) -> None:
    message = refused(module("stock", tables=("party_extra",), migrations=tmp_path))
    assert "'party_extra'" in message and "'stock'" in message


def test_a_table_claimed_by_two_modules_is_refused(tmp_path: Path) -> None:
    # Both prefixes fit "stock_item_lot": the registry still lets only one module own it.
    message = refused(
        module("stock", tables=("stock_item_lot",), migrations=tmp_path),
        module("stock_item", tables=("stock_item_lot",), migrations=tmp_path),
    )
    assert "'stock_item_lot'" in message and "'stock'" in message and "'stock_item'" in message


def test_tables_without_a_migrations_directory_are_refused(tmp_path: Path) -> None:
    assert "'stock'" in refused(module("stock", tables=("stock_item",)))
    missing = tmp_path / "nowhere"
    message = refused(module("stock", tables=("stock_item",), migrations=missing))
    assert "'stock'" in message and "migrations" in message


def test_a_name_that_is_not_an_identifier_or_is_core_is_refused() -> None:
    assert "'my-module'" in refused(module("my-module"))
    assert "'core'" in refused(module("core"))


def test_modules_come_after_the_modules_they_depend_on() -> None:
    registry = ModuleRegistry.of(
        [
            module("glue", depends=("invoicing", "credit")),
            module("credit"),
            module("reminders", depends=("invoicing",)),
            module("invoicing"),
        ]
    )
    order = [m.name for m in registry]
    assert sorted(order) == ["credit", "glue", "invoicing", "reminders"]
    for found in registry:
        for dependency in found.depends:
            assert order.index(dependency) < order.index(found.name), order
    assert sorted(registry.dependants("invoicing")) == ["glue", "reminders"]
    assert registry.get("credit") is not None and "credit" in registry and "nope" not in registry


def test_module_permissions_are_granted_to_the_roles_they_name() -> None:
    registry = ModuleRegistry.of(
        [module("stock", permissions=(Permission("stock.count", "Count stock", ("bookkeeper",)),))]
    )
    table = registry.role_permissions()
    assert "stock.count" in table["bookkeeper"]
    assert "stock.count" not in table["owner"]


def test_a_permission_naming_an_unknown_role_is_refused_at_start_up() -> None:
    message = refused(module("stock", permissions=(Permission("stock.count", "Count", ("boss",)),)))
    assert "'stock'" in message and "boss" in message


class Stock(TypedDict):
    item: str


STOCK_COUNTED = EventType("stock.counted", Stock)


async def _react(session: object, event: object) -> None:
    return None


def test_a_subscription_to_an_event_nobody_declares_is_refused_naming_module_and_event() -> None:
    message = refused(module("reports", events={"stock.countd": (_react,)}))
    assert "'reports'" in message and "'stock.countd'" in message


def test_subscriptions_to_the_cores_events_and_to_declared_module_events_are_accepted() -> None:
    registry = ModuleRegistry.of(
        [
            module("stock", publishes=(STOCK_COUNTED,)),
            module("reports", events={"stock.counted": (_react,), "membership.activated": (_react,)}),
        ]
    )
    assert {m.name for m in registry} == {"stock", "reports"}


def test_an_event_declared_twice_is_refused() -> None:
    assert "'stock.counted'" in refused(
        module("stock", publishes=(STOCK_COUNTED,)), module("depot", publishes=(STOCK_COUNTED,))
    )
    message = refused(module("stock", publishes=(EventType("party.created", Stock),)))
    assert "'party.created'" in message and "the core" in message


@runtime_checkable
class StockServices(Protocol):
    async def count(self, item: str) -> int: ...


@runtime_checkable
class LedgerServices(Protocol):
    async def balance(self, account: str) -> int: ...


class Counter:
    async def count(self, item: str) -> int:
        return 3


def test_a_modules_services_are_looked_up_by_the_protocol_they_implement() -> None:
    registry = ModuleRegistry.of([module("stock", services=Counter()), module("bare")])
    assert isinstance(registry.service("stock", StockServices), Counter)
    with pytest.raises(ServiceUnavailable, match="publishes Counter, which does not implement Ledger"):
        registry.service("stock", LedgerServices)
    with pytest.raises(ServiceUnavailable, match="'ledger' is not installed"):
        registry.service("ledger", LedgerServices)
    with pytest.raises(ServiceUnavailable, match="'bare' publishes no services"):
        registry.service("bare", StockServices)


def test_a_protocol_that_cannot_be_checked_at_run_time_is_refused_clearly() -> None:
    class Unchecked(Protocol):
        async def count(self, item: str) -> int: ...

    registry = ModuleRegistry.of([module("stock", services=Counter())])
    with pytest.raises(TypeError, match="runtime_checkable"):
        registry.service("stock", Unchecked)
