"""``coop modules``: the installed modules, switching them on and off per tenant, and their own command
groups joining ``coop``."""

from __future__ import annotations

import click

from core import tenants
from core.cli.root import in_tenant, load_registry, run
from core.registry import RegistryError, discover

__all__ = ["add_module_commands", "modules"]


@click.group()
def modules() -> None:
    """Installed modules and their activation per tenant."""


@modules.command("list")
def modules_list() -> None:
    """Installed modules, their versions and dependencies."""
    registry = load_registry()
    if not registry.modules:
        click.echo("no modules installed")
    for module in registry:
        depends = ", ".join(module.depends) or "-"
        click.echo(f"{module.name}\t{module.version}\t{module.title}\tdepends: {depends}")


def _toggle(slug: str, name: str, *, enable: bool) -> None:
    registry = load_registry()

    async def go() -> None:
        async with in_tenant(slug) as (session, _):
            if enable:
                await tenants.enable_module(session, registry, name, actor_id=None)
            else:
                await tenants.disable_module(session, registry, name, actor_id=None)

    run(go())
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


def add_module_commands(root: click.Group) -> None:
    """Give each installed module's command group its place under ``coop``; a core command keeps its name."""
    try:
        registry = discover()
    except RegistryError:
        return  # `coop` still runs; commands that need modules report the error
    for module in registry:
        if module.cli is not None and module.cli.name not in root.commands:
            root.add_command(module.cli, module.name)
