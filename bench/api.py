"""Authenticated API reads and writes at 1 and 16 concurrent clients, on SQLite and PostgreSQL.

Run with ``make bench`` (or ``.venv/bin/python -m bench``). Settings come from the environment:

- ``BENCH_SECONDS``: how long each measured phase runs (default 5);
- ``BENCH_WARMUP``: the unmeasured warm-up before each phase (default 1);
- ``BENCH_PARTIES``: parties seeded before measuring (default 1000);
- ``BENCH_BACKENDS``: which backends to measure (default ``sqlite,postgresql``);
- ``COOPSTACK_BENCH_PG_URL``: the PostgreSQL server on which a scratch database is created and
  dropped (default ``postgresql://postgres@localhost:5432/test``).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.server import Install, pg_scratch_database, pg_unreachable_reason, running_install

__all__ = ["Result", "main"]

CLIENT_COUNTS = (1, 16)
OPERATIONS = ("read", "write")
DEFAULT_PG_URL = "postgresql://postgres@localhost:5432/test"
_names = itertools.count(1)


@dataclass
class Result:
    """One measured phase."""

    backend: str
    operation: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process kind (CpuMeter)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_per_request(self) -> str:
        """Milliseconds of CPU per request by process kind, and their sum; empty when not measured."""
        if not self.cpu or not self.requests:
            return ""
        parts = [f"{kind} {seconds / self.requests * 1000:.2f}" for kind, seconds in self.cpu.items()]
        return f"{sum(self.cpu.values()) / self.requests * 1000:.2f} ms CPU ({', '.join(parts)})"

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[rank] * 1000


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


def _request(install: Install, operation: str) -> Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]:
    path = f"/api/v1/tenants/{install.tenant}/parties"
    if operation == "read":
        return lambda client: client.get(path, params={"limit": 20})
    return lambda client: client.post(path, json={"kind": "organisation", "name": f"Bench {next(_names)}"})


async def _drive(
    client: httpx.AsyncClient,
    send: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    clients: int,
    seconds: float,
    result: Result | None,
) -> None:
    """``clients`` loops each sending one request after another until ``seconds`` have passed."""
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            error = ""
            try:
                response = await send(client)
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            if result is not None:
                result.latencies.append(elapsed)
                if error:
                    result.errors += 1
                    result.first_error = result.first_error or error

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    if result is not None:
        result.seconds = time.perf_counter() - started


async def measure(install: Install, operation: str, clients: int, seconds: float, warmup: float) -> Result:
    """Warm up, then run one phase over ``clients`` kept-alive connections."""
    result = Result(install.backend, operation, clients)
    send = _request(install, operation)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=install.base_url,
        headers={"Authorization": f"Bearer {install.token}"},
        limits=limits,
        timeout=60,
    ) as client:
        if warmup > 0:
            await _drive(client, send, clients, warmup, None)
        await _drive(client, send, clients, seconds, result)
    return result


def _measure_install(install: Install, seconds: float, warmup: float) -> list[Result]:
    results = []
    for operation in OPERATIONS:
        for clients in CLIENT_COUNTS:
            result = asyncio.run(measure(install, operation, clients, seconds, warmup))
            print(
                f"  {install.backend:<10} {operation:<5} {clients:>2} clients: "
                f"{result.rate:8.1f} req/s, {result.errors} errors",
                flush=True,
            )
            results.append(result)
    return results


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN shows as "-"


def report(results: list[Result]) -> str:
    """The table of figures and the ratios between them."""
    lines = [
        f"{'backend':<10} {'operation':<9} {'clients':>7} {'requests':>9} {'req/s':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'errors':>7}"
    ]
    lines.append("-" * len(lines[0]))
    for r in results:
        lines.append(
            f"{r.backend:<10} {r.operation:<9} {r.clients:>7} {r.requests:>9} {_fmt(r.rate):>9} "
            f"{_fmt(r.percentile(50), 2):>8} {_fmt(r.percentile(95), 2):>8} {r.errors:>7}"
        )
    by_key = {(r.backend, r.operation, r.clients): r for r in results}
    backends = list(dict.fromkeys(r.backend for r in results))

    lines += ["", f"Scaling ({CLIENT_COUNTS[-1]} clients vs {CLIENT_COUNTS[0]}; req/s ratio):"]
    for backend in backends:
        for operation in OPERATIONS:
            low = by_key.get((backend, operation, CLIENT_COUNTS[0]))
            high = by_key.get((backend, operation, CLIENT_COUNTS[-1]))
            if low and high and low.rate:
                lines.append(f"  {backend:<10} {operation:<5} x{high.rate / low.rate:.2f}")

    if {"sqlite", "postgresql"} <= set(backends):
        lines += ["", "PostgreSQL vs SQLite (req/s ratio):"]
        for operation in OPERATIONS:
            for clients in CLIENT_COUNTS:
                lite = by_key.get(("sqlite", operation, clients))
                pg = by_key.get(("postgresql", operation, clients))
                if lite and pg and lite.rate:
                    lines.append(f"  {operation:<5} {clients:>2} clients x{pg.rate / lite.rate:.2f}")

    failed = [r for r in results if r.errors]
    if failed:
        lines += ["", "First error of each phase with errors:"]
        lines += [f"  {r.backend} {r.operation} {r.clients}: {r.first_error}" for r in failed]
    return "\n".join(lines)


def main() -> int:
    seconds = _env_float("BENCH_SECONDS", 5.0)
    warmup = _env_float("BENCH_WARMUP", 1.0)
    seed = int(_env_float("BENCH_PARTIES", 1000))
    wanted = [
        b.strip() for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
    ]
    pg_server = os.environ.get("COOPSTACK_BENCH_PG_URL", DEFAULT_PG_URL)
    pg_shown = make_url(pg_server).render_as_string(hide_password=True)
    cores = os.cpu_count() or 1

    print(f"Coopstack API benchmark - Python {platform.python_version()}, {cores} CPU cores")
    print(
        f"Each phase: {warmup:g} s warm-up, then {seconds:g} s measured; {seed} parties seeded; "
        "keep-alive connections, Bearer token."
    )
    print(
        f"Note: the load generator (this process) runs on the same {cores} cores as the server, "
        "so the figures are a lower bound of what the server alone could do."
    )
    print("read  = GET /api/v1/tenants/{t}/parties?limit=20; write = POST /api/v1/tenants/{t}/parties\n")

    results: list[Result] = []
    skipped: list[str] = []
    failures: list[str] = []
    for backend in wanted:
        try:
            if backend == "sqlite":
                with tempfile.TemporaryDirectory(prefix="coop-bench-db-") as tmp:
                    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                    print(f"sqlite: {url} (1 worker process)", flush=True)
                    with running_install("sqlite", url, workers=1, seed=seed) as install:
                        results += _measure_install(install, seconds, warmup)
            elif backend == "postgresql":
                reason = pg_unreachable_reason(pg_server)
                if reason:
                    skipped.append(f"postgresql skipped: {pg_shown} is unreachable ({reason})")
                    print(skipped[-1], flush=True)
                    continue
                workers = min(2, cores)
                with pg_scratch_database(pg_server) as url:
                    print(
                        f"postgresql: scratch database on {pg_shown} ({workers} worker processes)",
                        flush=True,
                    )
                    with running_install("postgresql", url, workers=workers, seed=seed) as install:
                        results += _measure_install(install, seconds, warmup)
            else:
                skipped.append(f"{backend} skipped: unknown backend (sqlite, postgresql)")
                print(skipped[-1], flush=True)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other backend
            failures.append(f"{backend} failed: {type(exc).__name__}: {exc}")
            print(failures[-1], file=sys.stderr, flush=True)

    print()
    print(report(results) if results else "No figures.")
    for line in skipped + failures:
        print(line)
    return 1 if failures else 0
