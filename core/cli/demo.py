"""``coop demo``: seed a demo co-op to try the install with."""

from __future__ import annotations

import click

from core.cli.root import load_registry, load_settings, run

__all__ = ["demo"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the demo will be served.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def demo(host: str, port: int) -> None:
    """Seed a demo co-op with members, users and each module's sample data (safe to run again).

    ``--host`` and ``--port`` only name the address printed: the one ``coop serve`` is about to use."""
    from core.demo import seed

    settings = load_settings()
    seeded = run(seed(settings, load_registry()))
    for note in seeded.notes:
        click.echo(f"Note: {note}", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Demo co-op ready at http://{shown}:{port}/  (tenant: demo)")
    for email, password, role in seeded.logins:
        click.echo(f"  {role:<11} {email}  password: {password}")
