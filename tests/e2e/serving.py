"""A real install for end-to-end tests: migrated, seeded with the demo co-op, served by ``coop serve``
on a free port in its own process group; and the Chromium the browser tests drive."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

COOP = str(Path(sys.executable).parent / "coop")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_EMAIL = "demo@coopstack.test"
DEMO_PASSWORD = "demo-coop-2026"


def need_chromium() -> None:
    """Skip without Debian's chromium, with the reason; under CI=true a missing browser fails."""
    if CHROMIUM.exists():
        return
    message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def coop(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([COOP, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"coop {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def demo_env(home: Path, **extra_env: str) -> dict[str, str]:
    """The environment of an install under ``home`` (SQLite unless ``COOPSTACK_DATABASE_URL`` is given)."""
    return {
        **os.environ,
        "COOPSTACK_DATABASE_URL": f"sqlite:///{home / 'e2e.db'}",
        "COOPSTACK_VAR_DIR": str(home / "var"),
        "COOPSTACK_PASSWORD_TIME_COST": "1",
        "COOPSTACK_PASSWORD_MEMORY_KIB": "1024",
        **extra_env,
    }


def start_server(
    env: dict[str, str], home: Path, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``coop serve`` in its own process group, once it answers ``/healthz``: the process and its URL."""
    base_url = f"http://127.0.0.1:{port or free_port()}"
    log_path = home / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [COOP, "serve", "--port", base_url.rsplit(":", 1)[1]],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return process, base_url
        if time.monotonic() > deadline:
            stop_server(process)
            pytest.fail(f"the server never became healthy:\n{log_path.read_text()}")
        time.sleep(0.2)


def stop_server(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    """Stop the server's whole process group (``SIGKILL``: as a crash would)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, how)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def demo_server(home: Path, **extra_env: str) -> Iterator[str]:
    """A fresh install with the demo co-op (every module on) under ``home``; yields its base URL."""
    env = demo_env(home, **extra_env)
    coop(env, "db", "upgrade")
    assert DEMO_EMAIL in coop(env, "demo")
    process, base_url = start_server(env, home)
    try:
        yield base_url
    finally:
        stop_server(process)
