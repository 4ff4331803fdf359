"""Logging in under attack: guesses are counted before the password is checked, an IPv6 client is one
network, the owner of an account under attack still logs in from where it usually does, checking a
password holds up no other request, and no cross-site form can sign anyone in."""

from __future__ import annotations

import asyncio
import math
import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.app import create_app
from core.db.base import utcnow
from core.db.engine import Database
from core.housekeeping import prune_expired
from core.identity import create_user, make_hasher
from core.login_throttle import email_key, forget_stale
from core.models import LoginBackoff, LoginNetwork, User
from core.registry import ModuleRegistry
from core.settings import Settings
from tests.conftest import PASSWORD, World, replace, unique
from tests.pages import text_of

ALLOWANCE = 3


@pytest.fixture(scope="module")
def guarded(settings: Settings, registry: ModuleRegistry) -> Litestar:
    """The install with a small allowance of failed logins, so that tests reach its limits quickly."""
    return create_app(replace(settings, login_attempts_per_window=ALLOWANCE), registry)


def new_ipv6_network() -> str:
    """The first address of a /64 no other test uses."""
    return f"2001:db8:{secrets.randbelow(0xFFFF):x}:{secrets.randbelow(0xFFFF):x}::1"


def new_ipv4_address() -> str:
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@asynccontextmanager
async def browsers(app: Litestar) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients on this test's event loop, made on demand per client address (``from_(address)``); the
    app's database connections belong to this loop and are closed when the block ends."""
    opened: dict[str, httpx.AsyncClient] = {}
    try:
        yield opened
    finally:
        for client in opened.values():
            await client.aclose()
        await app.state.db.dispose()


def from_(opened: dict[str, httpx.AsyncClient], app: Litestar, address: str) -> httpx.AsyncClient:
    if address not in opened:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened[address] = httpx.AsyncClient(transport=transport, base_url="http://coop.test")
    return opened[address]


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_a_burst_of_guesses_from_one_address_gets_only_the_allowance_checked(
    guarded: Litestar, world: World
) -> None:
    person = await world.person()
    async with browsers(guarded) as opened:
        attacker = from_(opened, guarded, new_ipv4_address())
        answers = await asyncio.gather(*(log_in(attacker, person.email, f"guess {n}") for n in range(30)))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {401: ALLOWANCE, 429: 30 - ALLOWANCE}


async def test_a_burst_of_guesses_from_many_networks_gets_only_the_allowance_checked(
    guarded: Litestar, world: World
) -> None:
    """Past the allowance each guess waits for the one before (1 s, then 2 s...): a burst that lasts
    ``elapsed`` seconds may get ``log2(elapsed + 1)`` more guesses checked, and no more."""
    person = await world.person()
    async with browsers(guarded) as opened:
        attackers = [from_(opened, guarded, new_ipv6_network()) for _ in range(30)]
        started = time.monotonic()
        answers = await asyncio.gather(
            *(log_in(attacker, person.email, "a guess at it") for attacker in attackers)
        )
        elapsed = time.monotonic() - started
    checked = Counter(answer.status_code for answer in answers)[401]
    assert ALLOWANCE <= checked <= ALLOWANCE + int(math.log2(elapsed + 1))
    assert all(answer.status_code in (401, 429) for answer in answers)


async def test_guesses_within_the_allowance_are_all_checked_even_at_once(
    guarded: Litestar, world: World
) -> None:
    """Attempts that queue for the back-off's lock are judged when they get it, not when they came."""
    person = await world.person()
    async with browsers(guarded) as opened:
        attackers = [from_(opened, guarded, new_ipv6_network()) for _ in range(ALLOWANCE)]
        answers = await asyncio.gather(*(log_in(attacker, person.email, "not it") for attacker in attackers))
    assert [answer.status_code for answer in answers] == [401] * ALLOWANCE


async def test_the_addresses_of_one_ipv6_network_share_one_allowance(guarded: Litestar, world: World) -> None:
    """One guess on many accounts (password spraying), each from another address of one /64."""
    prefix = new_ipv6_network().removesuffix("::1")
    spread = ALLOWANCE * 10  # a network's allowance, whatever the e-mails
    async with browsers(guarded) as opened:
        statuses = [
            (
                await log_in(
                    from_(opened, guarded, f"{prefix}::{n + 1:x}"),
                    f"{unique('x')}@example.test",
                    "Spring2026!",
                )
            ).status_code
            for n in range(spread + 1)
        ]
        elsewhere = await log_in(from_(opened, guarded, new_ipv6_network()), "y@example.test", "Spring2026!")
        ipv4 = new_ipv4_address()
        for _ in range(spread):
            await log_in(from_(opened, guarded, ipv4), f"{unique('z')}@example.test", "Spring2026!")
        neighbour = ipv4.rsplit(".", 1)[0] + (".254" if not ipv4.endswith(".254") else ".253")
        next_door = await log_in(from_(opened, guarded, neighbour), "z@example.test", "Spring2026!")
    assert statuses[:spread] == [401] * spread
    assert statuses[-1] == 429
    assert elsewhere.status_code == 401  # another /64 is another client
    assert next_door.status_code == 401  # an IPv4 address is counted alone


async def test_the_owner_logs_in_from_its_usual_network_while_an_attacker_elsewhere_is_slowed_down(
    guarded: Litestar, world: World
) -> None:
    owner = await world.person()
    home = new_ipv4_address()
    async with browsers(guarded) as opened:
        assert (await log_in(from_(opened, guarded, home), owner.email, owner.password)).status_code == 200
        tried = [
            await log_in(from_(opened, guarded, new_ipv6_network()), owner.email, f"guess {n}")
            for n in range(ALLOWANCE + 1)
        ]
        assert [answer.status_code for answer in tried] == [401] * ALLOWANCE + [429]
        first_wait = int(tried[-1].headers["retry-after"])
        assert first_wait <= 2  # a short wait to begin with, not a lockout
        await asyncio.sleep(first_wait + 0.1)
        after_waiting = await log_in(
            from_(opened, guarded, new_ipv6_network()), owner.email, "one more guess"
        )
        held_again = await log_in(from_(opened, guarded, new_ipv6_network()), owner.email, "and another")
        # the right password from a new network cannot be told apart from a guess while held back
        traveller = await log_in(from_(opened, guarded, new_ipv6_network()), owner.email, owner.password)
        mistyped_at_home = await log_in(from_(opened, guarded, home), owner.email, "slipped finger")
        at_home = await log_in(from_(opened, guarded, home), owner.email, owner.password)
    assert after_waiting.status_code == 401
    assert held_again.status_code == 429
    assert int(held_again.headers["retry-after"]) > first_wait  # the wait grows with every guess
    assert traveller.status_code == 429
    assert mistyped_at_home.status_code == 401
    assert at_home.status_code == 200


async def test_the_right_password_from_a_new_network_ends_the_back_off(
    guarded: Litestar, world: World
) -> None:
    person = await world.person()
    async with browsers(guarded) as opened:
        for _ in range(ALLOWANCE - 1):
            await log_in(from_(opened, guarded, new_ipv6_network()), person.email, "not it")
        assert (
            await log_in(from_(opened, guarded, new_ipv6_network()), person.email, person.password)
        ).status_code == 200
        again = [
            (await log_in(from_(opened, guarded, new_ipv6_network()), person.email, "not it")).status_code
            for _ in range(ALLOWANCE)
        ]
    assert again == [401] * ALLOWANCE


async def test_a_login_sent_as_a_cross_site_form_signs_nobody_in(guarded: Litestar, world: World) -> None:
    """A page elsewhere can post ``text/plain`` whose body is JSON, or a form, without a preflight."""
    person = await world.person()
    body = f'{{"email": "{person.email}", "password": "{person.password}"}}'
    async with browsers(guarded) as opened:
        victim = from_(opened, guarded, new_ipv4_address())
        plain = await victim.post(
            "/api/v1/auth/login", content=body, headers={"content-type": "text/plain;charset=UTF-8"}
        )
        form = await victim.post(
            "/api/v1/auth/login", data={"email": person.email, "password": person.password}
        )
        signed_in = await victim.get("/api/v1/me")
        as_json = await victim.post(
            "/api/v1/auth/login", content=body, headers={"content-type": "application/json; charset=utf-8"}
        )
    assert plain.status_code == form.status_code == 415
    assert plain.headers["content-type"].startswith("application/problem+json")
    assert "set-cookie" not in plain.headers and "set-cookie" not in form.headers
    assert signed_in.status_code == 401
    assert as_json.status_code == 200


async def submit_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    fields = {"email": email, "password": password, "_csrf_token": client.cookies["csrftoken"]}
    return await client.post("/login", data=fields, follow_redirects=False)


async def test_the_login_form_keeps_its_csrf_token_and_is_throttled_alike(
    guarded: Litestar, world: World
) -> None:
    person = await world.person()
    async with browsers(guarded) as opened:
        home = from_(opened, guarded, new_ipv4_address())
        first = await submit_login(home, person.email, person.password)
        browser = from_(opened, guarded, new_ipv4_address())
        await browser.get("/login")
        without_token = await browser.post(
            "/login", data={"email": person.email, "password": person.password}, follow_redirects=False
        )
        burst = await asyncio.gather(*(submit_login(browser, person.email, "not it") for _ in range(10)))
        home.cookies.delete("coop_session")
        signed_in = await submit_login(home, person.email, person.password)
    assert first.status_code == 303
    assert without_token.status_code == 403
    assert Counter(answer.status_code for answer in burst) == {401: ALLOWANCE, 429: 10 - ALLOWANCE}
    refused = next(answer for answer in burst if answer.status_code == 429)
    assert "Too many failed logins" in text_of(refused)
    assert int(refused.headers["retry-after"]) > 0
    assert signed_in.status_code == 303


async def test_checking_passwords_holds_up_no_other_request_nor_writer(
    settings: Settings, registry: ModuleRegistry, database: Database
) -> None:
    """Logins with a costly hash while the health check is polled and, on SQLite, another process
    writes: neither waits for a hash (before, each login stalled both for its whole hash)."""
    # A hash of about a second: long beside what a loaded machine's scheduling adds to a request.
    slow = replace(settings, password_time_cost=16, password_memory_kib=65536)
    hasher = make_hasher(slow)
    email = f"{unique('slow')}@example.test"
    async with database.transaction() as session:
        user = await create_user(session, hasher, email=email, name="Slow", password=PASSWORD)
    started = time.perf_counter()
    hasher.verify(user.password_hash, PASSWORD)
    one_hash = time.perf_counter() - started
    app = create_app(slow, registry)
    locked_for: list[float] = []
    done = threading.Event()

    def write_beside() -> None:
        """Take the write lock every few milliseconds without waiting, noting how long it stays taken
        (SQLite's own busy handler would sleep in growing steps and blur the measure)."""
        path = make_url(settings.database_url).database
        connection = sqlite3.connect(path or "", timeout=0, isolation_level=None)
        busy_since: float | None = None
        while not done.is_set():
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                busy_since = busy_since or time.perf_counter()
            else:
                connection.execute("COMMIT")
                if busy_since is not None:
                    locked_for.append(time.perf_counter() - busy_since)
                    busy_since = None
            time.sleep(0.002)
        connection.close()

    beside = threading.Thread(target=write_beside) if database.is_sqlite else None
    health_waits: list[float] = []
    async with browsers(app) as opened:
        probe = from_(opened, app, new_ipv4_address())
        assert (await probe.get("/healthz")).status_code == 200  # the new app's first connections
        if beside:
            beside.start()
        logins = asyncio.gather(
            *(log_in(from_(opened, app, new_ipv4_address()), email, PASSWORD) for _ in range(2))
        )
        while not logins.done():
            began = time.perf_counter()
            assert (await probe.get("/healthz")).status_code == 200
            health_waits.append(time.perf_counter() - began)
            await asyncio.sleep(0.005)
        answers = await logins
        done.set()
        if beside:
            await asyncio.to_thread(beside.join)
    assert [answer.status_code for answer in answers] == [200] * 2
    assert len(health_waits) > 3
    assert max(health_waits) < one_hash / 2
    if beside:
        assert max(locked_for, default=0) < one_hash / 2


async def test_a_password_stored_with_weaker_parameters_is_rehashed_at_login(
    settings: Settings, registry: ModuleRegistry, database: Database
) -> None:
    email = f"{unique('old')}@example.test"
    async with database.transaction() as session:
        await create_user(session, make_hasher(settings), email=email, name="Old", password=PASSWORD)
    stronger = replace(settings, password_time_cost=settings.password_time_cost + 1)
    app = create_app(stronger, registry)
    async with browsers(app) as opened:
        assert (await log_in(from_(opened, app, new_ipv4_address()), email, PASSWORD)).status_code == 200
    async with database.session(write=False) as session:
        stored = await session.scalar(select(User.password_hash).where(User.email == email))
    assert stored is not None and not make_hasher(stronger).check_needs_rehash(stored)
    assert make_hasher(stronger).verify(stored, PASSWORD)


async def test_the_housekeeping_forgets_stale_back_offs_and_networks(
    guarded: Litestar, world: World, database: Database
) -> None:
    person = await world.person()
    async with browsers(guarded) as opened:
        assert (
            await log_in(from_(opened, guarded, new_ipv4_address()), person.email, "x")
        ).status_code == 401
        assert (
            await log_in(from_(opened, guarded, new_ipv4_address()), person.email, person.password)
        ).status_code == 200
        assert (
            await log_in(from_(opened, guarded, new_ipv4_address()), person.email, "y")
        ).status_code == 401

    async def left() -> tuple[int, int]:
        async with database.session(write=False) as session:
            backoffs = await session.scalar(
                select(func.count()).where(LoginBackoff.email_hash == email_key(person.email)[1])
            )
            networks = await session.scalar(
                select(func.count()).select_from(LoginNetwork).where(LoginNetwork.user_id == person.id)
            )
        return int(backoffs or 0), int(networks or 0)

    assert await left() == (1, 1)
    await prune_expired(database, now=utcnow() + timedelta(days=2))  # the servers' hourly pruning
    assert await left() == (0, 1)
    async with database.transaction() as session:  # only the login tables: sessions would go too
        await forget_stale(session, now=utcnow() + timedelta(days=91))
    assert await left() == (0, 0)
