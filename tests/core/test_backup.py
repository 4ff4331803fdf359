"""``coop db backup`` and ``coop db restore``: an online, checked copy of the embedded SQLite database;
PostgreSQL installs are pointed at pg_dump."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unique

COOP = str(Path(sys.executable).parent / "coop")


def coop(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([COOP, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert result.returncode == 0, f"coop {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPSTACK_")}
    env["COOPSTACK_DATABASE_URL"] = database_url
    env["COOPSTACK_VAR_DIR"] = str(tmp_path / "var")
    return env


def test_restore_brings_back_the_database_as_it_was_at_backup(tmp_path: Path) -> None:
    database = tmp_path / "live.db"
    env = environment(f"sqlite:///{database}", tmp_path)
    coop(env, "db", "upgrade")
    before = unique("before")
    coop(env, "tenant", "create", "--slug", before, "--name", "Before Backup")

    backup = tmp_path / "backups" / "coop.db"
    # The copy is taken online: another connection is in the middle of a read meanwhile.
    with sqlite3.connect(database) as reader:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM tenant").fetchone() == (1,)
        result = coop(env, "db", "backup", str(backup))
        reader.execute("COMMIT")
    assert "integrity ok" in result.stdout
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT slug FROM tenant").fetchall() == [(before,)]

    after = unique("after")
    coop(env, "tenant", "create", "--slug", after, "--name", "After Backup")
    assert after in coop(env, "tenant", "list").stdout

    refused = coop(env, "db", "backup", str(backup), check=False)
    assert refused.returncode != 0 and "exists" in refused.stderr

    coop(env, "db", "restore", str(backup), "--yes")
    listed = coop(env, "tenant", "list").stdout
    assert before in listed
    assert after not in listed
    assert "up to date" in coop(env, "db", "current").stdout


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_on_postgresql_backup_and_restore_point_at_pg_dump(tmp_path: Path, command: str) -> None:
    env = environment("postgresql://postgres@localhost:5432/coopstack", tmp_path)
    target = tmp_path / "coop.dump"
    if command == "restore":
        target.write_bytes(b"")
    result = coop(env, "db", command, str(target), *(["--yes"] if command == "restore" else []), check=False)
    assert result.returncode != 0
    assert "pg_dump" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if command == "backup":
        assert not target.exists()
