"""A real install to measure: a fresh database, a tenant with an owner, seeded parties, and
``coop serve`` running as its own process (stopped, and its scratch database dropped, however the
run ends)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from core import parties, tenants
from core.db.engine import Database
from core.settings import normalise_database_url

__all__ = [
    "CpuMeter",
    "Install",
    "pg_scratch_database",
    "pg_unreachable_reason",
    "plain_url",
    "postmaster_pid",
    "running_install",
    "serve",
]

COOP = str(Path(sys.executable).parent / "coop")
PASSWORD = "bench password, long enough"  # noqa: S105 - a throwaway user of a scratch database
EMAIL = "owner@bench.example"
SLUG = "bench"


@dataclass(frozen=True)
class Install:
    """A served install: its address, tenant and an owner's API token."""

    backend: str
    base_url: str
    tenant: str
    token: str
    workers: int
    pid: int = 0
    postmaster: int = 0  # the local PostgreSQL server's process id (CpuMeter), 0 when none


class CpuMeter:
    """CPU seconds (user + system) spent by the server's processes, the PostgreSQL cluster's and this
    load generator between ``start()`` and ``stop()``, read from ``/proc``: where the time of one request
    goes when all three share the machine's cores. The server runs in a session of its own (``serve``
    starts it so), which tells its processes from the rest; the cluster's are the postmaster and its
    children (``postmaster_pid``). Each process counts what it spent between the two readings; one
    that ended meanwhile is left out."""

    def __init__(self, server_pid: int, postmaster_pid: int = 0) -> None:
        self.server_pid = server_pid
        self.postmaster_pid = postmaster_pid
        self.seconds: dict[str, float] = {}
        self._start: dict[int, float] = {}
        self._own = 0.0

    def _kind(self, pid: int, parent: int, session: int) -> str | None:
        if self.postmaster_pid and self.postmaster_pid in (pid, parent):
            return "postgresql"
        return "server" if session == self.server_pid else None

    def _read(self) -> dict[int, tuple[str, float]]:
        ticks = os.sysconf("SC_CLK_TCK")
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
            kind = self._kind(int(entry), int(fields[1]), int(fields[3]))  # parent, session id
            if kind is not None:
                found[int(entry)] = (kind, (int(fields[11]) + int(fields[12])) / ticks)  # user + system
        return found

    @staticmethod
    def _own_seconds() -> float:
        own = os.times()
        return own.user + own.system

    @property
    def available(self) -> bool:
        return self.server_pid > 0 and os.path.isdir(f"/proc/{self.server_pid}")

    def start(self) -> None:
        self._start = {pid: seconds for pid, (_, seconds) in self._read().items()}
        self._own = self._own_seconds()

    def stop(self) -> None:
        kinds = ["server", "postgresql"] if self.postmaster_pid else ["server"]
        self.seconds = dict.fromkeys(kinds, 0.0)
        for pid, (kind, seconds) in self._read().items():
            self.seconds[kind] += seconds - self._start.get(pid, 0.0)
        self.seconds["load generator"] = self._own_seconds() - self._own


def postmaster_pid(database_url: str) -> int:
    """The process id of the PostgreSQL server behind ``database_url`` when it runs on this machine
    (the parent of the backend serving a connection), else 0."""
    with psycopg.connect(plain_url(database_url)) as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
    try:
        with open(f"/proc/{row[0] if row else 0}/stat") as stat:
            name, _, rest = stat.read().rpartition(")")
        parent = int(rest.split()[1])
        with open(f"/proc/{parent}/comm") as comm:
            parent_name = comm.read().strip()
    except OSError:
        return 0  # a server on another machine
    # The same process id here may be another program when the server runs elsewhere (a container).
    return parent if name.endswith("(postgres") and parent_name == "postgres" else 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def plain_url(server_url: str) -> str:
    """``server_url`` as libpq and asyncpg take it (no SQLAlchemy driver name)."""
    url = make_url(normalise_database_url(server_url))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_unreachable_reason(server_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        with psycopg.connect(plain_url(server_url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "skip this backend"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


@contextlib.contextmanager
def pg_scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server of ``server_url`` (its plain URL), dropped afterwards."""
    admin = plain_url(server_url)
    name = f"coop_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPSTACK_")}
    # Every request from the load generator comes from one address: lift the per-address limit.
    env["COOPSTACK_RATE_LIMIT_PER_MINUTE"] = "100000000"
    # One login in setup; the measured requests use a Bearer token, which is not password-hashed.
    env["COOPSTACK_PASSWORD_TIME_COST"] = "1"  # noqa: S105 - a cost, not a password
    env["COOPSTACK_PASSWORD_MEMORY_KIB"] = "1024"  # noqa: S105 - a cost, not a password
    env["COOPSTACK_DATABASE_URL"] = database_url
    env["COOPSTACK_VAR_DIR"] = str(var_dir)
    return env


def _coop(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [COOP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"coop {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


async def _seed_parties(database_url: str, count: int) -> None:
    database = Database(normalise_database_url(database_url))
    try:
        async with database.session(write=False) as session:
            tenant_id = (await tenants.tenant_by_slug(session, SLUG)).id
        for start in range(0, count, 200):
            async with database.transaction(tenant_id=tenant_id) as session:
                for n in range(start, min(start + 200, count)):
                    kind = "person" if n % 3 else "organisation"
                    await parties.create_party(
                        session, {"kind": kind, "name": f"Seeded party {n:05d}"}, actor_id=None
                    )
    finally:
        await database.dispose()


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # uvicorn stops its workers and exits
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the server's own process group, started below
        process.wait(timeout=10)


def _login_and_token(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        login.raise_for_status()
        created = client.post("/api/v1/auth/tokens", json={"name": "bench"})
        created.raise_for_status()
        return str(created.json()["token"])


@contextlib.contextmanager
def running_install(backend: str, database_url: str, *, workers: int, seed: int) -> Iterator[Install]:
    """Migrate ``database_url``, create the tenant and owner, seed parties, serve; stop on exit."""
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as tmp:
        var_dir = Path(tmp)
        env = _env(database_url, var_dir)
        _coop(env, "db", "upgrade")
        _coop(env, "tenant", "create", "--slug", SLUG, "--name", "Bench Co-op")
        _coop(
            env,
            "user",
            "create",
            "--email",
            EMAIL,
            "--name",
            "Bench Owner",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        _coop(env, "user", "grant", "--tenant", SLUG, "--email", EMAIL, "--role", "owner")
        asyncio.run(_seed_parties(database_url, seed))

        command = [COOP, "serve", "--host", "127.0.0.1", "--workers", str(workers), "--port"]
        with serve(command, env, var_dir / "server.log") as (base_url, pid):
            token = _login_and_token(base_url)
            postmaster = postmaster_pid(database_url) if backend == "postgresql" else 0
            yield Install(backend, base_url, SLUG, token, workers, pid=pid, postmaster=postmaster)


@contextlib.contextmanager
def serve(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """Run ``command`` plus a free port as a server in a session of its own, until it answers
    ``/healthz``; yield its address and process id; stop it on exit."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_healthy(process, base_url, log)
        yield base_url, process.pid
    finally:
        _stop(process)
