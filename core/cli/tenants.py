"""``coop tenant``: create, list and show the co-ops of this install."""

from __future__ import annotations

import click
from sqlalchemy import select

from core import tenants
from core.cli.root import in_tenant, load_settings, run
from core.db.engine import Database
from core.models import Tenant, TenantUser, User

__all__ = ["tenant"]


@click.group()
def tenant() -> None:
    """Tenants (co-ops) of this install."""


@tenant.command("create")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. 'green-grocers'.")
@click.option("--name", required=True, help="The co-op's name.")
@click.option("--currency", default="EUR", show_default=True, help="Base currency (ISO 4217).")
@click.option("--locale", default="en", show_default=True, help="Language of documents and pages.")
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of the co-op.")
def tenant_create(slug: str, name: str, currency: str, locale: str, timezone: str) -> None:
    """Create a tenant."""

    async def go() -> Tenant:
        database = Database.of(load_settings())
        try:
            async with database.transaction() as session:
                found = await tenants.create_tenant(
                    session, slug=slug, name=name, currency=currency, locale=locale, timezone=timezone
                )
                session.info["tenant_id"] = found.id
                from core.memberships import ensure_default_class

                await ensure_default_class(session)
                return found
        finally:
            await database.dispose()

    created = run(go())
    click.echo(f"created tenant {created.slug} ({created.id})")


@tenant.command("list")
def tenant_list() -> None:
    """List tenants."""

    async def go() -> list[Tenant]:
        database = Database.of(load_settings())
        try:
            async with database.session(write=False) as session:
                return list((await session.scalars(select(Tenant).order_by(Tenant.slug))).all())
        finally:
            await database.dispose()

    for found in run(go()):
        click.echo(f"{found.slug}\t{found.name}\t{found.currency}\t{found.locale}")


@tenant.command("show")
@click.argument("slug")
def tenant_show(slug: str) -> None:
    """Show a tenant's details, enabled modules and users."""

    async def go() -> tuple[Tenant, set[str], list[tuple[str, str]]]:
        async with in_tenant(slug, write=False) as (session, found):
            modules = await tenants.enabled_modules(session)
            users = (
                await session.execute(
                    select(User.email, TenantUser.role).join(TenantUser, TenantUser.user_id == User.id)
                )
            ).all()
            return found, modules, list(users)

    found, modules, users = run(go())
    click.echo(f"slug:      {found.slug}\nname:      {found.name}\nlegal:     {found.legal_name}")
    click.echo(f"currency:  {found.currency}\nlocale:    {found.locale}\ntimezone:  {found.timezone}")
    click.echo(f"modules:   {', '.join(sorted(modules)) or '(none)'}")
    for email, role in users:
        click.echo(f"user:      {email} ({role})")
