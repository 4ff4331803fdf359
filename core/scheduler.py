"""Modules' daily jobs, run inside the server processes.

Every ``COOPSTACK_SCHEDULER_INTERVAL`` seconds each process looks for (tenant, job) pairs not yet run
today in the tenant's time zone and claims each by inserting a ``job_run`` row: the primary key lets
exactly one process win, however many run. A job that fails gives its claim back (the row is deleted)
so a later tick retries it. Jobs must be idempotent for the day anyway (the ``coop`` commands run the
same functions by hand).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import housekeeping
from core.db.base import utcnow
from core.db.engine import Database
from core.db.tenancy import all_tenants
from core.models import JobRun, Tenant, TenantModule
from core.registry import ModuleRegistry
from core.settings import Settings

__all__ = ["TickReport", "run_due_jobs", "scheduler_loop"]

log = logging.getLogger("coopstack.scheduler")


@dataclass
class TickReport:
    ran: list[tuple[str, str]] = field(default_factory=list)
    """(tenant slug, job) pairs this process ran."""
    failed: list[tuple[str, str, str]] = field(default_factory=list)


async def _claim(database: Database, tenant_id: uuid.UUID, job: str, day: date) -> bool:
    try:
        async with database.transaction(tenant_id=tenant_id) as session:
            await session.execute(insert(JobRun).values(tenant_id=tenant_id, job=job, day=day))
    except IntegrityError:
        return False
    return True


async def run_due_jobs(
    database: Database,
    registry: ModuleRegistry,
    settings: Settings,
    *,
    now: datetime | None = None,
    only: uuid.UUID | None = None,
) -> TickReport:
    """Run every module's daily job that is due in every tenant having the module on (one tick);
    ``only`` limits the tick to one tenant."""
    report = TickReport()
    jobs = [(module.name, job) for module in registry for job in module.daily_jobs]
    if not jobs:
        return report
    moment = now or utcnow()
    statement = select(Tenant.id, Tenant.slug, Tenant.timezone, TenantModule.module).join(
        TenantModule, TenantModule.tenant_id == Tenant.id
    )
    if only is not None:
        statement = statement.where(Tenant.id == only)
    async with database.session(write=False) as session:
        rows = (await session.execute(statement.execution_options(**all_tenants()))).all()
    enabled: dict[tuple[uuid.UUID, str, str], set[str]] = {}
    for tenant_id, slug, timezone, module in rows:
        enabled.setdefault((tenant_id, slug, timezone), set()).add(module)
    for (tenant_id, slug, timezone), modules in enabled.items():
        today = moment.astimezone(ZoneInfo(timezone)).date()
        for module_name, job in jobs:
            if module_name not in modules:
                continue
            name = f"{module_name}.{job.name}"
            if not await _claim(database, tenant_id, name, today):
                continue
            try:
                await job.run(database, settings, tenant_id, today)
            except Exception as exc:  # one failing job must not stop the others
                log.exception("daily job %s failed for %s", name, slug)
                report.failed.append((slug, name, str(exc)))
                async with database.transaction(tenant_id=tenant_id) as session:
                    await session.execute(delete(JobRun).where(JobRun.job == name, JobRun.day == today))
                continue
            async with database.transaction(tenant_id=tenant_id) as session:
                await session.execute(
                    update(JobRun).where(JobRun.job == name, JobRun.day == today).values(finished_at=utcnow())
                )
            report.ran.append((slug, name))
    return report


async def scheduler_loop(database: Database, registry: ModuleRegistry, settings: Settings) -> None:
    """Tick forever (until cancelled when the server stops); once an hour, prune what has expired."""
    pruned_at: datetime | None = None
    while True:
        if pruned_at is None or utcnow() - pruned_at >= housekeeping.EVERY:
            try:
                pruned = await housekeeping.prune_expired(database)
                pruned_at = utcnow()
                if pruned.idempotency_keys or pruned.sessions:
                    log.info("pruned %s", pruned)
            except Exception:  # the database may be back next time
                log.exception("pruning failed")
        try:
            report = await run_due_jobs(database, registry, settings)
            if report.ran or report.failed:
                log.info("daily jobs: ran %s, failed %s", report.ran, report.failed)
        except Exception:  # keep ticking; the database may be back next time
            log.exception("the scheduler tick failed")
        await asyncio.sleep(settings.scheduler_interval)
