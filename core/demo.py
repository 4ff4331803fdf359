"""The demo co-op: a tenant, three users, a handful of member businesses and each module's sample data
(``Module.demo``). Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import events, memberships, parties, tenants
from core.db.engine import Database
from core.errors import DomainError
from core.identity import create_user, make_hasher
from core.models import Party, Tenant, User
from core.module import Module
from core.registry import ModuleRegistry
from core.settings import Settings

__all__ = ["DEMO_PASSWORD", "DEMO_SLUG", "LEGAL_DETAILS", "Seeded", "add_members", "add_samples", "seed"]

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-coop-2026"  # noqa: S105 - the public demo login, printed by `make run`
LEGAL_DETAILS = {
    "legal_name": "Demo Co-op SCIC",
    "vat_id": "FR44732829320",
    "company_id": "732829320",
    "email": "accounts@demo-coop.example",
    "iban": "FR1420041010050500013M02606",
    "bic": "PSSTFRPPLIL",
    "address": {"line1": "12 rue de la Coopération", "postcode": "69001", "city": "Lyon", "country": "FR"},
}
USERS = (
    ("demo@coopstack.test", "Dana Demo", "owner"),
    ("books@coopstack.test", "Bo Bookkeeper", "bookkeeper"),
    ("member@coopstack.test", "Mo Member", "member"),
)
MEMBERS = (
    ("Green Grocers SCOP", "organisation", "FR", "Lyon", "FR40303265045", "active"),
    ("Bicycle Repair Co-op", "organisation", "DE", "Leipzig", "DE136695976", "active"),
    ("Tinta Print Coop", "organisation", "ES", "Valencia", None, "active"),
    ("Alba Rossi", "person", "IT", "Bologna", None, "applicant"),
)


async def _samples(session: AsyncSession, module: Module, today: date) -> str | None:
    """A module's sample data; or, when the co-op cannot take it (a demo co-op kept from an older version
    may lack what the samples need), none of it and the reason why: the demo still starts."""
    assert module.demo is not None
    try:
        async with session.begin_nested():
            await module.demo(session, today)
    except DomainError as exc:
        return f"the demo co-op has no {module.name} samples: {exc.detail}"
    return None


async def add_members(session: AsyncSession) -> Party:
    """The demo's member businesses in the session's co-op, those it lacks; returns the first."""
    await memberships.ensure_default_class(session)
    first_party: Party | None = None
    for name, kind, country, city, vat, status in MEMBERS:
        party = await session.scalar(select(Party).where(Party.name == name))
        if party is None:
            party = await parties.create_party(
                session,
                {
                    "kind": kind,
                    "name": name,
                    "vat_id": vat,
                    "email": f"{name.split()[0].lower()}@members.test",  # .test: never delivered
                    "address": {"line1": "1 Market Street", "city": city, "country": country},
                },
                actor_id=None,
            )
            await memberships.create_membership(
                session,
                party_id=party.id,
                class_code=None,
                status=status,
                on=datetime.now(UTC).date(),
                actor_id=None,
            )
        first_party = first_party or party
    assert first_party is not None
    return first_party


async def add_samples(
    session: AsyncSession, registry: ModuleRegistry, enabled: set[str], today: date
) -> list[str]:
    """Each enabled module's sample data (``Module.demo``) in the session's co-op; returns what a module
    could not add, and why. The tenant-isolation walk of the tests fills every module's tables this way."""
    return [
        note
        for module in registry
        if module.demo is not None and module.name in enabled
        if (note := await _samples(session, module, today))
    ]


@dataclass(frozen=True, slots=True)
class Seeded:
    logins: list[tuple[str, str, str]]
    """(e-mail, password, role) of each demo user."""
    notes: list[str]
    """Sample data the co-op could not take, and why."""


async def seed(settings: Settings, registry: ModuleRegistry) -> Seeded:
    """Create what is missing of the demo co-op; returns its logins and what it could not take."""
    database = Database.of(settings)
    hasher = make_hasher(settings)
    try:
        async with database.transaction() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
            created = tenant is None
            if tenant is None:
                tenant = await tenants.create_tenant(
                    session, slug=DEMO_SLUG, name="Demo Co-op", currency="EUR"
                )
            session.info["tenant_id"] = tenant.id
            if created:
                await tenants.update_tenant(session, tenant, LEGAL_DETAILS, actor_id=None)
            first_party = await add_members(session)
            for email, name, role in USERS:
                user = await session.scalar(select(User).where(User.email == email))
                if user is None:
                    user = await create_user(session, hasher, email=email, name=name, password=DEMO_PASSWORD)
                await tenants.grant_role(
                    session,
                    user=user,
                    role=role,
                    party_id=first_party.id if role == "member" and first_party else None,
                )
            enabled = await tenants.enabled_modules(session)
            for module in registry:
                if module.name not in enabled and all(d in enabled for d in module.depends):
                    await tenants.enable_module(session, registry, module.name, actor_id=None)
                    enabled.add(module.name)
            today = datetime.now(ZoneInfo(tenant.timezone)).date()
            events.install(events.EventBus.from_modules(list(registry)))
            notes = await add_samples(session, registry, enabled, today)
    finally:
        await database.dispose()
    return Seeded([(email, DEMO_PASSWORD, role) for email, _, role in USERS], notes)
