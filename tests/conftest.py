"""Shared fixtures: every test runs on SQLite, and on PostgreSQL too when
``COOPSTACK_TEST_DATABASE_URL`` names a server. Each database is created fresh and brought up with the
real migrations. Tests isolate themselves by creating their own tenants and users (unique names), the
way real co-ops share an install."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from ipaddress import ip_network
from pathlib import Path

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from core import memberships, tenants
from core.app import create_app
from core.db import migrate
from core.db.engine import Database
from core.identity import create_api_token, create_user, make_hasher
from core.registry import ModuleRegistry, discover
from core.settings import Settings, normalise_database_url

PG_URL = os.environ.get("COOPSTACK_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
PASSWORD = "correct horse battery"
APP_ROLE = "coopstack_app"
"""The role the suite's servers and sessions connect as on PostgreSQL: not the tables' owner (the
migrations run as ``postgres``), so row-level security binds every test, as it binds production."""


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def create_pg_database(server_url: str) -> str:
    """A fresh, empty PostgreSQL database on the server of ``server_url``; returns its async URL."""
    url = make_url(normalise_database_url(server_url))
    name = f"coop_test_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def as_app_role(database_url: str) -> str:
    """``database_url`` connecting as the application role, which is created once per server."""
    url = make_url(database_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    return url.set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def owner_url(database_url: str) -> str:
    """``database_url`` connecting as the tables' owner (the migrations' role), for what the
    application role may not do (create a table, see every row)."""
    assert PG_URL is not None
    owner = make_url(normalise_database_url(PG_URL))
    url = make_url(database_url).set(username=owner.username, password=owner.password)
    return url.render_as_string(hide_password=False)


def drop_pg_database(server_url: str, database_url: str) -> None:
    url = make_url(normalise_database_url(server_url))
    name = make_url(database_url).database
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return discover()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, registry: ModuleRegistry
) -> Iterator[str]:
    """A migrated database of each backend, shared by the tests of a session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "coopstack.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url, registry)
        yield url
        return
    assert PG_URL is not None
    url = create_pg_database(PG_URL)
    app_url = as_app_role(url)
    migrate.upgrade(url, registry, app_role=APP_ROLE)
    yield app_url
    drop_pg_database(PG_URL, url)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        password_time_cost=1,
        password_memory_kib=1024,
        rate_limit_per_minute=100_000,
        # The tests' mail servers (aiosmtpd) listen on loopback, on any free port.
        smtp_allowed_networks=(ip_network("127.0.0.0/8"),),
        smtp_allowed_ports=frozenset(range(1, 65536)),
        var_dir=tmp_path_factory.mktemp("var"),
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, registry: ModuleRegistry) -> Litestar:
    return create_app(settings, registry)


@asynccontextmanager
async def same_loop_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client running ``app`` on this test's event loop, for requests sent at once or beside database
    connections the test holds (the test client runs the app on a loop of its own). The app's database
    connections belong to this loop, so they are closed when the block ends."""
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://coop.test") as client:
            yield client
    finally:
        await app.state.db.dispose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An anonymous client (its own cookie jar)."""
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Coop:
    id: uuid.UUID
    slug: str
    owner: Person

    @property
    def api(self) -> str:
        return f"/api/v1/tenants/{self.slug}"


class World:
    """Builds tenants and users through the services, as an administrator would."""

    def __init__(self, database: Database, settings: Settings, registry: ModuleRegistry) -> None:
        self.database = database
        self.registry = registry
        self.hasher = make_hasher(settings)

    async def person(self, name: str = "Test Person") -> Person:
        email = f"{unique('user')}@example.test"
        async with self.database.transaction() as session:
            user = await create_user(session, self.hasher, email=email, name=name, password=PASSWORD)
            _, token = await create_api_token(session, user.id, "tests")
        return Person(id=user.id, email=email, password=PASSWORD, token=token)

    async def coop(
        self, *, currency: str = "EUR", modules: tuple[str, ...] = (), slug: str | None = None
    ) -> Coop:
        owner = await self.person("Owner")
        slug = slug or unique("coop")
        async with self.database.transaction() as session:
            tenant = await tenants.create_tenant(session, slug=slug, name=f"Co-op {slug}", currency=currency)
            session.info["tenant_id"] = tenant.id
            await memberships.ensure_default_class(session)
            from core.models import User

            user = await session.get_one(User, owner.id)
            await tenants.grant_role(session, user=user, role="owner")
            if modules:
                await tenants.update_tenant(
                    session,
                    tenant,
                    {
                        "legal_name": f"Co-op {slug} SCIC",
                        "vat_id": "FR40303265045",
                        "iban": "FR1420041010050500013M02606",
                        "address": {
                            "line1": "3 rue des Halles",
                            "postcode": "69001",
                            "city": "Lyon",
                            "country": "FR",
                        },
                    },
                    actor_id=None,
                )
            for name in modules:
                await tenants.enable_module(session, self.registry, name, actor_id=None)
        return Coop(id=tenant.id, slug=slug, owner=owner)

    async def join(self, coop: Coop, role: str, *, party_id: uuid.UUID | None = None) -> Person:
        person = await self.person(role.title())
        async with self.database.transaction(tenant_id=coop.id) as session:
            from core.models import User

            user = await session.get_one(User, person.id)
            await tenants.grant_role(session, user=user, role=role, party_id=party_id)
        return person


@pytest.fixture
def world(database: Database, settings: Settings, registry: ModuleRegistry) -> World:
    return World(database, settings, registry)


__all__ = ["PASSWORD", "Coop", "Person", "World", "replace", "unique"]
