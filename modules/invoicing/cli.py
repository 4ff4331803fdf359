"""``coop invoicing ...``: the module's commands, for people and for the scheduler.

Each command names its tenant with ``--tenant SLUG``, or runs for every tenant with invoicing switched
on with ``--all-tenants`` (what a scheduled job does).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import Any, TypeVar

import click

from core.db.engine import Database
from core.errors import DomainError
from core.settings import Settings, SettingsError

__all__ = ["invoicing"]

T = TypeVar("T")

TenantJob = Callable[[Database, Settings, uuid.UUID, str, date], Awaitable[bool]]
"""Work for one tenant: database, settings, tenant id and slug, its today; False when it failed."""


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


async def _targets(database: Database, slug: str | None, every: bool) -> list[tuple[uuid.UUID, str, date]]:
    """The tenants to work on: the one named (invoicing must be on there), or all that use invoicing."""
    from modules.invoicing.services.reminders import tenants_with_invoicing

    found = await tenants_with_invoicing(database)
    if every:
        return found
    chosen = [t for t in found if t[1] == slug]
    if not chosen:
        raise click.ClickException(f"no tenant {slug!r} with invoicing switched on")
    return chosen


def for_tenants(slug: str | None, every: bool, on: date | None, job: TenantJob) -> None:
    """Run ``job`` for the chosen tenants, one after the other; exit 1 when any of them failed."""
    if (slug is None) == (not every):
        raise click.UsageError("give either --tenant SLUG or --all-tenants")
    settings = settings_from_env()

    async def go() -> bool:
        database = Database.of(settings)
        try:
            ok = True
            for tenant_id, tenant_slug, today in await _targets(database, slug, every):
                ok = await job(database, settings, tenant_id, tenant_slug, on or today) and ok
            return ok
        finally:
            await database.dispose()

    if not run(go()):
        raise SystemExit(1)


def tenant_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every per-tenant command takes."""
    command = click.option(
        "--date",
        "on",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Act as if it were this day (default: today where each co-op is).",
    )(command)
    command = click.option(
        "--all-tenants", "every", is_flag=True, help="Every tenant with invoicing on (scheduled jobs)."
    )(command)
    return click.option("--tenant", "slug", default=None, help="The tenant's slug.")(command)


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None


@click.group()
def invoicing() -> None:
    """Invoicing: reminders and other scheduled work."""


@invoicing.command("send-reminders")
@tenant_options
def send_reminders(slug: str | None, every: bool, on: Any) -> None:
    """E-mail the payment reminders that are due (each level at most once per invoice)."""
    from modules.invoicing.services.reminders import send_due_reminders

    async def job(
        database: Database, settings: Settings, tenant_id: uuid.UUID, tenant: str, today: date
    ) -> bool:
        report = await send_due_reminders(database, tenant_id, today=today, settings=settings)
        for item in report.sent:
            click.echo(f"{tenant}\tsent\t{item.number}\tlevel {item.level}\t{item.recipient}")
        for item in report.skipped:
            click.echo(f"{tenant}\tskipped\t{item.number}\tlevel {item.level}\t{item.reason}")
        for item in report.failed:
            click.echo(f"{tenant}\tfailed\t{item.number}\tlevel {item.level}\t{item.reason}", err=True)
        click.echo(
            f"{tenant}: {len(report.sent)} sent, {len(report.skipped)} skipped, {len(report.failed)} failed"
        )
        return not report.failed

    for_tenants(slug, every, _day(on), job)


@invoicing.command("run-recurring")
@tenant_options
def run_recurring_command(slug: str | None, every: bool, on: Any) -> None:
    """Make the recurring invoices that are due (every missed period once); run it daily."""
    from modules.invoicing.services.recurring import run_recurring

    async def job(
        database: Database, settings: Settings, tenant_id: uuid.UUID, tenant: str, today: date
    ) -> bool:
        report = await run_recurring(database, tenant_id, today)
        for made in report.made:
            click.echo(
                f"{tenant}\tmade\t{made.issue_date.isoformat()}\t{made.number or 'draft'}\t{made.document_id}"
            )
        for plan_id, reason in report.failed:
            click.echo(f"{tenant}\tfailed\tplan {plan_id}\t{reason}", err=True)
        click.echo(f"{tenant}: {len(report.made)} made, {len(report.failed)} failed")
        return not report.failed

    for_tenants(slug, every, _day(on), job)


@invoicing.command("check-einvoices")
@click.option("--tenant", "slug", default=None, help="The tenant's slug.")
@click.option("--all-tenants", "every", is_flag=True, help="Every tenant with invoicing on.")
def check_einvoices(slug: str | None, every: bool) -> None:
    """Check every issued invoice and credit note, as CII and UBL, against the EN 16931 schemas and
    business rules (the official schematrons); exit 1 when any fails. Changes nothing."""
    from modules.invoicing.services.conformance import check_issued_einvoices

    async def job(
        database: Database, settings: Settings, tenant_id: uuid.UUID, tenant: str, today: date
    ) -> bool:
        report = await check_issued_einvoices(database, tenant_id)
        for number, syntax, problem in report.failures:
            click.echo(f"{tenant}	{number}	{syntax}	{problem}", err=True)
        failed = len({number for number, _, _ in report.failures})
        click.echo(f"{tenant}: {report.checked} checked, {failed} failing")
        return not report.failures

    for_tenants(slug, every, None, job)
