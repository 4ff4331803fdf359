"""A module from another distribution plugs in with zero changes to this repository.

``tests/fixtures/example_module`` is built and installed with pip into a directory of its own, never
into the project's environment; every ``coop`` process below sees it only through ``PYTHONPATH``. It is
found by its entry point, its migration branch runs with ``coop db upgrade`` and leaves with
``coop db downgrade notes@base``, its command joins ``coop``, and a served install mounts its API and
page (404 where a co-op has not switched it on), enforces its permission, shows its menu entry and its
dashboard card, and runs its event handler. The test process itself never imports the module, so the
session's shared metadata stays the core's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from core.db import migrate
from core.db.base import Base
from core.db.engine import Database
from core.registry import ModuleRegistry
from core.settings import Settings
from tests.conftest import (
    BACKENDS,
    PG_URL,
    Coop,
    World,
    as_app_role,
    create_pg_database,
    drop_pg_database,
    unique,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "example_module"
COOP = Path(sys.executable).parent / "coop"


@pytest.fixture(scope="session")
def notes_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture distribution, built and installed by pip into a directory of its own."""
    root = tmp_path_factory.mktemp("third_party")
    source = root / "src"  # builds write into the source tree: build from a copy
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (site / "coop_example_notes" / "migrations" / "notes_0001_create_note.py").is_file()
    assert (site / "coop_example_notes" / "templates" / "notes" / "index.html").is_file()
    return site


def new_database(kind: str, directory: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'coopstack.db'}"
    assert PG_URL is not None
    return create_pg_database(PG_URL)


def environment(site: Path | None, url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COOPSTACK_", "PYTHONPATH"))}
    env.update(
        COOPSTACK_DATABASE_URL=url,
        COOPSTACK_VAR_DIR=str(var_dir),
        COOPSTACK_PASSWORD_TIME_COST="1",
        COOPSTACK_PASSWORD_MEMORY_KIB="1024",
        COOPSTACK_RATE_LIMIT_PER_MINUTE="100000",
    )
    if url.startswith("postgresql"):
        # As in production: `coop db` migrates as the owner, everything else runs as a role that
        # row-level security binds.
        env.update(COOPSTACK_DATABASE_URL=as_app_role(url), COOPSTACK_MIGRATION_DATABASE_URL=url)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return env


def coop(env: dict[str, str], *args: str) -> str:
    """Run ``coop`` as an operator would; its output, or the test fails with it."""
    done = subprocess.run([str(COOP), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"coop {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def tables(url: str) -> set[str]:
    engine = create_engine(migrate.sync_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Install:
    url: str
    env: dict[str, str]


@pytest.fixture(params=BACKENDS)
def install(request: pytest.FixtureRequest, notes_site: Path, tmp_path: Path) -> Iterator[Install]:
    """A new, empty database of each backend, and the environment of a ``coop`` that has notes."""
    url = new_database(request.param, tmp_path)
    yield Install(url, environment(notes_site, url, tmp_path))
    if request.param == "postgresql":
        assert PG_URL is not None
        drop_pg_database(PG_URL, url)


def test_the_package_is_not_in_the_projects_environment() -> None:
    assert importlib.util.find_spec("coop_example_notes") is None
    assert "notes_note" not in Base.metadata.tables


def test_an_operator_installs_and_uses_the_module_from_the_command_line(install: Install) -> None:
    listed = coop(install.env, "modules", "list")
    assert "notes\t0.1.0\tNotes\tdepends: -" in listed
    assert "notes" in coop(install.env, "--help")

    assert "notes_0001" in coop(install.env, "db", "upgrade")
    assert {"notes_note", "party", "tenant"} <= tables(install.url)
    current = coop(install.env, "db", "current").splitlines()
    assert "notes_0001" in current and current[-1] == "up to date"

    slug = unique("bakers")
    coop(install.env, "tenant", "create", "--slug", slug, "--name", "Bakers")
    assert "notes enabled for" in coop(install.env, "modules", "enable", "--tenant", slug, "notes")
    assert "modules:   notes" in coop(install.env, "tenant", "show", slug)
    assert coop(install.env, "notes", "count", "--tenant", slug).strip() == f"0 notes in {slug}"

    # The same database, seen by a `coop` without the package: the module is simply not there.
    without = {k: v for k, v in install.env.items() if k != "PYTHONPATH"}
    assert "notes" not in coop(without, "modules", "list")


def test_the_modules_table_gets_the_tenant_policy_with_the_upgrade(install: Install) -> None:
    if not install.url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    coop(install.env, "db", "upgrade")
    engine = create_engine(migrate.sync_url(install.env["COOPSTACK_DATABASE_URL"]))
    try:
        with engine.connect() as connection:
            secured = connection.execute(
                text(
                    "SELECT c.relrowsecurity, pg_get_userbyid(c.relowner) = current_user,"
                    " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname)"
                    " FROM pg_class c WHERE c.relname = 'notes_note'"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(secured) == (True, False, 1)  # secured, and the servers' role does not own it


def test_the_modules_migration_matches_its_model(install: Install) -> None:
    coop(install.env, "db", "upgrade")
    script = textwrap.dedent(
        """
        import sys
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext
        from sqlalchemy import create_engine

        import core.models
        from core.db import migrate
        from core.db.base import Base
        from core.registry import discover
        from core.settings import Settings

        registry = discover()  # loads the notes module, and with it its table
        assert "notes_note" in Base.metadata.tables
        engine = create_engine(migrate.sync_url(Settings.from_env().database_url))
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        engine.dispose()
        print(diff)
        sys.exit(1 if diff else 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=install.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"models and migrations differ: {done.stdout}\n{done.stderr}"


def test_the_modules_tables_leave_with_its_branch_and_come_back(install: Install) -> None:
    coop(install.env, "db", "upgrade")
    slug = unique("weavers")
    coop(install.env, "tenant", "create", "--slug", slug, "--name", "Weavers")

    downgraded = coop(install.env, "db", "downgrade", "notes@base")
    assert downgraded.startswith("database at ") and "notes_0001" not in downgraded
    left = tables(install.url)
    assert "notes_note" not in left and {"party", "tenant"} <= left
    assert "behind" in coop(install.env, "db", "current")
    assert slug in coop(install.env, "tenant", "list")  # the core's data is untouched

    assert "notes_0001" in coop(install.env, "db", "upgrade")
    assert "notes_note" in tables(install.url)
    assert coop(install.env, "db", "current").splitlines()[-1] == "up to date"


# --- a served install -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base_url: str
    install: Install
    world: World


@pytest.fixture(scope="module", params=BACKENDS)
async def served(
    request: pytest.FixtureRequest, notes_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    """``coop serve`` with the notes module, on a migrated database of each backend; co-ops and users
    are made in this process through the core's services, against the same database."""
    directory = tmp_path_factory.mktemp("served")
    url = new_database(request.param, directory)
    install = Install(url, environment(notes_site, url, directory))
    coop(install.env, "db", "upgrade")
    port = free_port()
    log = (directory / "server.log").open("w")
    server = subprocess.Popen(
        [str(COOP), "serve", "--port", str(port)], env=install.env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    database = Database(url)
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(300):
                if server.poll() is not None:
                    break
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        assert server.poll() is None, (directory / "server.log").read_text()
        settings = Settings(database_url=url, password_time_cost=1, password_memory_kib=1024)
        yield Served(base_url, install, World(database, settings, ModuleRegistry.of([])))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        await database.dispose()
        if request.param == "postgresql":
            assert PG_URL is not None
            drop_pg_database(PG_URL, url)


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as client:
        yield client


async def switch(http: httpx.AsyncClient, coop: Coop, on: bool) -> None:
    answer = await http.request(
        "PUT" if on else "DELETE", f"{coop.api}/modules/notes", headers=coop.owner.headers
    )
    assert answer.status_code == 200, answer.text


async def test_the_modules_routes_answer_only_where_it_is_switched_on(
    served: Served, http: httpx.AsyncClient
) -> None:
    coop, other = await served.world.coop(), await served.world.coop()
    headers = coop.owner.headers
    off = await http.get(f"{coop.api}/notes", headers=headers)
    assert off.status_code == 404 and off.headers["content-type"].startswith("application/problem+json")
    assert (await http.get(f"/t/{coop.slug}/notes", headers=headers)).status_code == 404

    await switch(http, coop, True)
    assert (await http.get(f"{coop.api}/notes", headers=headers)).json()["items"] == []
    created = await http.post(f"{coop.api}/notes", json={"text": "Order more flour"}, headers=headers)
    assert created.status_code == 201, created.text
    assert [n["text"] for n in (await http.get(f"{coop.api}/notes", headers=headers)).json()["items"]] == [
        "Order more flour"
    ]
    page = await http.get(f"/t/{coop.slug}/notes", headers=headers)
    assert page.status_code == 200 and "Order more flour" in page.text
    assert (await http.get(f"{other.api}/notes", headers=other.owner.headers)).status_code == 404

    await switch(http, coop, False)
    assert (await http.get(f"{coop.api}/notes", headers=headers)).status_code == 404
    await switch(http, coop, True)  # switched off, its data stayed
    assert len((await http.get(f"{coop.api}/notes", headers=headers)).json()["items"]) == 1
    assert notes_counted(served, coop) == 1

    schema = (await http.get("/schema/openapi.json")).json()
    assert "/api/v1/tenants/{tenant}/notes" in schema["paths"]


def notes_counted(served: Served, tenant: Coop) -> int:
    """The module's own command, on the database the server writes to."""
    return int(coop(served.install.env, "notes", "count", "--tenant", tenant.slug).split()[0])


async def test_the_modules_permission_is_enforced(served: Served, http: httpx.AsyncClient) -> None:
    coop = await served.world.coop()
    await switch(http, coop, True)
    viewer = await served.world.join(coop, "viewer")
    bookkeeper = await served.world.join(coop, "bookkeeper")
    refused = await http.post(f"{coop.api}/notes", json={"text": "From a viewer"}, headers=viewer.headers)
    assert refused.status_code == 403 and "notes.write" in refused.json()["detail"]
    allowed = await http.post(
        f"{coop.api}/notes", json={"text": "From the books"}, headers=bookkeeper.headers
    )
    assert allowed.status_code == 201, allowed.text
    seen = await http.get(f"{coop.api}/notes", headers=viewer.headers)
    assert [n["text"] for n in seen.json()["items"]] == ["From the books"]


async def test_the_modules_page_is_in_the_menu_only_where_it_is_switched_on(
    served: Served, http: httpx.AsyncClient
) -> None:
    coop = await served.world.coop()
    link = f'href="/t/{coop.slug}/notes"'
    dashboard = await http.get(f"/t/{coop.slug}", headers=coop.owner.headers)
    assert dashboard.status_code == 200 and 'class="main-nav"' in dashboard.text
    assert link not in dashboard.text
    await switch(http, coop, True)
    assert link in (await http.get(f"/t/{coop.slug}", headers=coop.owner.headers)).text
    page = await http.get(f"/t/{coop.slug}/notes", headers=coop.owner.headers)
    assert "<h1>Notes</h1>" in page.text and f'{link} aria-current="page"' in page.text
    await switch(http, coop, False)
    assert link not in (await http.get(f"/t/{coop.slug}", headers=coop.owner.headers)).text


async def test_the_modules_dashboard_card_shows_where_it_is_on_to_those_who_hold_its_permission(
    served: Served, http: httpx.AsyncClient
) -> None:
    coop = await served.world.coop()
    viewer = await served.world.join(coop, "viewer")  # may read notes, not write them
    card = '<h2 id="card-2-heading">Notes</h2>'
    dashboard = f"/t/{coop.slug}"
    assert card not in (await http.get(dashboard, headers=coop.owner.headers)).text
    await switch(http, coop, True)
    assert (
        await http.post(f"{coop.api}/notes", json={"text": "Flour"}, headers=coop.owner.headers)
    ).is_success
    seen = (await http.get(dashboard, headers=coop.owner.headers)).text
    assert card in seen and "1 notes kept." in seen
    assert seen.count("<svg") == 1 and "<caption>Notes kept, by month</caption>" in seen
    assert "Notes</h2>" not in (await http.get(dashboard, headers=viewer.headers)).text
    await switch(http, coop, False)
    assert "Notes</h2>" not in (await http.get(dashboard, headers=coop.owner.headers)).text


async def test_the_modules_event_handler_welcomes_a_new_member(
    served: Served, http: httpx.AsyncClient
) -> None:
    coop, other = await served.world.coop(), await served.world.coop()
    await switch(http, coop, True)
    parties = {}
    for each in (coop, other):
        party = await http.post(
            f"{each.api}/parties",
            json={"kind": "organisation", "name": "Oat Mill"},
            headers=each.owner.headers,
        )
        parties[each.slug] = party.json()["id"]
        membership = await http.post(
            f"{each.api}/memberships",
            json={"party_id": parties[each.slug], "status": "active"},
            headers=each.owner.headers,
        )
        assert membership.status_code == 201, membership.text
    notes = (await http.get(f"{coop.api}/notes", headers=coop.owner.headers)).json()["items"]
    assert [(n["text"], n["party_id"]) for n in notes] == [
        ("welcome Oat Mill, new member", parties[coop.slug])
    ]
    # Where the module is off, its handler does not run: nothing waits there when it is switched on.
    await switch(http, other, True)
    assert (await http.get(f"{other.api}/notes", headers=other.owner.headers)).json()["items"] == []


async def test_the_modules_rows_stay_in_their_tenant(served: Served, http: httpx.AsyncClient) -> None:
    a, b = await served.world.coop(), await served.world.coop()
    for each in (a, b):
        await switch(http, each, True)
    party = await http.post(
        f"{a.api}/parties", json={"kind": "person", "name": "Ada"}, headers=a.owner.headers
    )
    about_a = {"text": "About Ada", "party_id": party.json()["id"]}
    assert (await http.post(f"{a.api}/notes", json=about_a, headers=a.owner.headers)).status_code == 201
    # B can neither see A's note nor attach a note to A's party.
    assert (await http.get(f"{b.api}/notes", headers=b.owner.headers)).json()["items"] == []
    crossing = await http.post(f"{b.api}/notes", json=about_a, headers=b.owner.headers)
    assert crossing.status_code == 404, crossing.text
    assert (await http.get(f"{a.api}/notes", headers=b.owner.headers)).status_code == 404
