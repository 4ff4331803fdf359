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

from core import parties, tenancy
from core.db.engine import Database
from core.settings import normalise_database_url

__all__ = ["CpuMeter", "Install", "pg_scratch_database", "pg_unreachable_reason", "running_install", "serve"]

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


class CpuMeter:
    """CPU seconds (user + system) spent by the server's processes, PostgreSQL's and this load generator
    between ``start()`` and ``stop()``, read from ``/proc``: where the time of one request goes when all
    three share the machine's cores. The server runs in a session of its own (``serve`` starts it so),
    which tells its processes from the rest; PostgreSQL's are those named ``postgres``."""

    KINDS = ("server", "postgresql", "load generator")

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.seconds = dict.fromkeys(self.KINDS, 0.0)
        self._start: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        totals = dict.fromkeys(self.KINDS, 0.0)
        own = os.times()
        totals["load generator"] = own.user + own.system
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    name, _, rest = stat.read().rpartition(")")
            except OSError:
                continue  # gone meanwhile
            fields = rest.split()
            used = (int(fields[11]) + int(fields[12])) / ticks
            if name.endswith("(postgres"):
                totals["postgresql"] += used
            elif int(fields[3]) == self.server_pid:  # the session id
                totals["server"] += used
        return totals

    @property
    def available(self) -> bool:
        return self.server_pid > 0 and os.path.isdir(f"/proc/{self.server_pid}")

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> None:
        end = self._read()
        self.seconds = {kind: end[kind] - self._start[kind] for kind in self.KINDS}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_url(server_url: str) -> str:
    url = make_url(normalise_database_url(server_url))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_unreachable_reason(server_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        with psycopg.connect(_admin_url(server_url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "skip this backend"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


@contextlib.contextmanager
def pg_scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server of ``server_url`` (its plain URL), dropped afterwards."""
    admin = _admin_url(server_url)
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
            tenant_id = (await tenancy.tenant_by_slug(session, SLUG)).id
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
            yield Install(
                backend=backend, base_url=base_url, tenant=SLUG, token=token, workers=workers, pid=pid
            )


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
