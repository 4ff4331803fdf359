"""Logging in under attack: no cross-site form can sign anyone in."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar

from core.app import create_app
from core.registry import ModuleRegistry
from core.settings import Settings
from tests.conftest import World, replace

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
