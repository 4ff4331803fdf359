"""The root ``coop`` group, and what every command group shares: the install's settings and module
registry, each turned into a message rather than a traceback when it cannot be read, and a way to run a
service coroutine whose domain errors the operator reads as messages."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from core.errors import DomainError
from core.registry import ModuleRegistry, RegistryError, discover
from core.settings import Settings, SettingsError

__all__ = ["CoopGroup", "load_registry", "load_settings", "main", "run"]

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


class CoopGroup(click.Group):
    """The root group; installed modules' command groups are added when it is built."""


@click.group(cls=CoopGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Coopstack: a modular business suite for co-operatives."""
