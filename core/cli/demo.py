"""``coop demo``: seed a demo co-op to try the install with."""

from __future__ import annotations

import click

from core.cli.root import load_registry, load_settings, run

__all__ = ["demo"]


@click.command()
def demo() -> None:
    """Seed a demo co-op with members, users and each module's sample data (safe to run again)."""
    from core.demo import seed

    settings = load_settings()
    seeded = run(seed(settings, load_registry()))
    for note in seeded.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo("Demo co-op ready at http://127.0.0.1:8000/  (tenant: demo)")
    for email, password, role in seeded.logins:
        click.echo(f"  {role:<11} {email}  password: {password}")
