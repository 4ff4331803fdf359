"""Two ``coop serve`` processes on one PostgreSQL database behave as one install: the processes hold
no state, so data, sessions and member numbers are shared through the database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.http.auth import SESSION_COOKIE
from tests.conftest import PASSWORD, PG_URL, create_pg_database, drop_pg_database, unique

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL,
        reason="needs COOPSTACK_TEST_DATABASE_URL (a PostgreSQL server) to run two server processes on it",
    ),
]

COOP = str(Path(sys.executable).parent / "coop")


@dataclass(frozen=True)
class Install:
    a: str
    b: str
    tenant: str
    email: str
    token: str

    @property
    def api(self) -> str:
        return f"/api/v1/tenants/{self.tenant}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _coop(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [COOP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"coop {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"server at {base_url} never became healthy:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the server's own process group
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    assert PG_URL is not None
    tmp = tmp_path_factory.mktemp("two-processes")
    database_url = create_pg_database(PG_URL)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COOPSTACK_")}
        env.update(
            {
                "COOPSTACK_DATABASE_URL": database_url,
                "COOPSTACK_VAR_DIR": str(tmp),
                "COOPSTACK_PASSWORD_TIME_COST": "1",
                "COOPSTACK_PASSWORD_MEMORY_KIB": "1024",
                "COOPSTACK_RATE_LIMIT_PER_MINUTE": "1000000",
            }
        )
        _coop(env, "db", "upgrade")
        slug = unique("twoproc")
        email = f"{unique('owner')}@example.test"
        _coop(env, "tenant", "create", "--slug", slug, "--name", "Two Process Co-op")
        _coop(
            env,
            "user",
            "create",
            "--email",
            email,
            "--name",
            "Owner",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        _coop(env, "user", "grant", "--tenant", slug, "--email", email, "--role", "owner")

        urls = []
        for name in ("a", "b"):
            port = _free_port()
            log = tmp / f"server-{name}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [COOP, "serve", "--host", "127.0.0.1", "--port", str(port)],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
            _wait_healthy(processes[-1], urls[-1], log)

        with httpx.Client(base_url=urls[0], timeout=30) as client:
            assert (
                client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code
                == 200
            )
            created = client.post("/api/v1/auth/tokens", json={"name": "two processes"})
            assert created.status_code == 201, created.text
        yield Install(a=urls[0], b=urls[1], tenant=slug, email=email, token=created.json()["token"])
    finally:
        for process in processes:
            _stop(process)
        drop_pg_database(PG_URL, database_url)


def test_the_two_servers_are_separate_processes(install: Install) -> None:
    assert install.a != install.b
    for base in (install.a, install.b):
        assert httpx.get(f"{base}/healthz", timeout=10).json() == {"status": "ok", "database": "ok"}


def test_a_party_created_through_a_is_read_through_b(install: Install) -> None:
    name = unique("Bakery")
    created = httpx.post(
        f"{install.a}{install.api}/parties",
        json={"kind": "organisation", "name": name},
        headers=install.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    party_id = created.json()["id"]

    shown = httpx.get(f"{install.b}{install.api}/parties/{party_id}", headers=install.headers, timeout=30)
    assert shown.status_code == 200, shown.text
    assert shown.json()["name"] == name
    listed = httpx.get(
        f"{install.b}{install.api}/parties", params={"q": name}, headers=install.headers, timeout=30
    )
    assert [p["id"] for p in listed.json()["items"]] == [party_id]


def test_a_session_from_a_works_on_b_and_ends_everywhere(install: Install) -> None:
    with httpx.Client(base_url=install.a, timeout=30) as a:
        login = a.post("/api/v1/auth/login", json={"email": install.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        session = login.cookies[SESSION_COOKIE]
    cookie = {"Cookie": f"{SESSION_COOKIE}={session}"}

    me = httpx.get(f"{install.b}/api/v1/me", headers=cookie, timeout=30)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == install.email

    # Logging out through B ends the session for A too.
    assert (
        httpx.post(f"{install.b}/api/v1/auth/logout", json={}, headers=cookie, timeout=30).status_code == 204
    )
    assert httpx.get(f"{install.a}/api/v1/me", headers=cookie, timeout=30).status_code == 401


async def test_member_numbers_allocated_through_both_processes_are_gapless(install: Install) -> None:
    count = 40
    async with (
        httpx.AsyncClient(base_url=install.a, headers=install.headers, timeout=60) as a,
        httpx.AsyncClient(base_url=install.b, headers=install.headers, timeout=60) as b,
    ):
        servers = (a, b)

        async def new_party(n: int) -> str:
            response = await servers[n % 2].post(
                f"{install.api}/parties", json={"kind": "person", "name": f"Member {n:02d}"}
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        party_ids = await asyncio.gather(*(new_party(n) for n in range(count)))

        async def admit(n: int, party_id: str) -> httpx.Response:
            return await servers[n % 2].post(
                f"{install.api}/memberships", json={"party_id": party_id, "status": "active"}
            )

        responses = await asyncio.gather(*(admit(n, p) for n, p in enumerate(party_ids)))
        assert [r.status_code for r in responses] == [201] * count, [r.text for r in responses if r.is_error]
        numbers = sorted(r.json()["number"] for r in responses)
        assert numbers == [f"M{n:05d}" for n in range(1, count + 1)]

        listed = await b.get(f"{install.api}/memberships", params={"status": "active", "limit": 100})
        assert sorted(m["number"] for m in listed.json()["items"]) == numbers
