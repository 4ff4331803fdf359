"""``coop user``: create users and give them roles in a tenant."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from core import tenants
from core.cli.root import in_tenant, load_settings, run
from core.db.engine import Database
from core.identity import create_user, make_hasher
from core.models import User

__all__ = ["user"]


@click.group()
def user() -> None:
    """Users and their roles."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from an argument).",
)
def user_create(email: str, name: str, password_stdin: bool) -> None:
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    settings = load_settings()

    async def go() -> User:
        database = Database.of(settings)
        try:
            async with database.transaction() as session:
                return await create_user(
                    session, make_hasher(settings), email=email, name=name, password=password
                )
        finally:
            await database.dispose()

    created = run(go())
    click.echo(f"created user {created.email} ({created.id})")


@user.command("grant")
@click.option("--tenant", "slug", required=True)
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["owner", "admin", "bookkeeper", "member", "viewer"])
)
@click.option("--party", "party_id", default=None, help="The member party this user acts for.")
def user_grant(slug: str, email: str, role: str, party_id: str | None) -> None:
    """Give a user a role in a tenant (with --party, acting for that member party)."""
    import uuid

    async def go() -> None:
        async with in_tenant(slug) as (session, _):
            target = await session.scalar(select(User).where(User.email == email.strip().lower()))
            if target is None:
                raise click.ClickException(f"no user {email}; create it with `coop user create`")
            try:
                party = uuid.UUID(party_id) if party_id else None
            except ValueError:
                raise click.ClickException(f"--party {party_id!r} is not a party id") from None
            await tenants.grant_role(session, user=target, role=role, party_id=party)

    run(go())
    click.echo(f"{email} is {role} in {slug}" + (f", acting for party {party_id}" if party_id else ""))
