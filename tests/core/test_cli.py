"""The `coop` command line, as scripts and integrators use it (the contract in the README)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import main
from tests.conftest import unique


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "COOPSTACK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "COOPSTACK_PASSWORD_TIME_COST": "1",
        "COOPSTACK_PASSWORD_MEMORY_KIB": "1024",
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in (
        ["--help"],
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["tenant", "create", "--help"],
        ["user", "create", "--help"],
        ["user", "grant", "--help"],
        ["modules", "enable", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
    ):
        result = runner.invoke(main, path)
        assert result.exit_code == 0, path
        assert "Usage:" in result.output


def test_a_script_sets_up_a_coop_from_nothing(env: dict[str, str]) -> None:
    upgraded = run(env, "db", "upgrade")
    assert upgraded.startswith("database at ") and upgraded.strip() != "database at base"
    assert "up to date" in run(env, "db", "current")
    slug = unique("bakers")
    run(
        env,
        "tenant",
        "create",
        "--slug",
        slug,
        "--name",
        "Bakers Co-op",
        "--currency",
        "CHF",
        "--locale",
        "fr",
    )
    assert slug in run(env, "tenant", "list")
    run(
        env,
        "user",
        "create",
        "--email",
        "Baker@Example.test",
        "--name",
        "Baker",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    run(env, "user", "grant", "--tenant", slug, "--email", "baker@example.test", "--role", "admin")
    shown = run(env, "tenant", "show", slug)
    assert "CHF" in shown and "baker@example.test (admin)" in shown


def test_bad_input_is_an_error_message_not_a_traceback(env: dict[str, str]) -> None:
    run(env, "db", "upgrade")
    runner = CliRunner()
    bad_slug = runner.invoke(main, ["tenant", "create", "--slug", "Not A Slug", "--name", "X"], env=env)
    assert bad_slug.exit_code != 0 and "slug" in bad_slug.output and "Traceback" not in bad_slug.output
    weak = runner.invoke(
        main,
        ["user", "create", "--email", "a@b.test", "--name", "A", "--password-stdin"],
        env=env,
        input="short\n",
    )
    assert weak.exit_code != 0 and "at least 10" in weak.output
    nobody = runner.invoke(
        main, ["user", "grant", "--tenant", "nope", "--email", "x@y.test", "--role", "viewer"], env=env
    )
    assert nobody.exit_code != 0 and "no tenant" in nobody.output
    unknown = runner.invoke(main, ["modules", "enable", "--tenant", "nope", "ghost"], env=env)
    assert unknown.exit_code != 0


def test_the_demo_seed_can_run_twice(env: dict[str, str]) -> None:
    run(env, "db", "upgrade")
    first = run(env, "demo")
    second = run(env, "demo")
    assert "demo@coopstack.test" in first and first == second
    assert run(env, "tenant", "list").count("demo") == 1


def test_make_run_prints_the_address_it_serves_the_demo_on(env: dict[str, str]) -> None:
    run(env, "db", "upgrade")
    assert "ready at http://127.0.0.1:8123/" in run(env, "demo", "--port", "8123")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).parents[2]
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    demo_line = next(line for line in plan.splitlines() if "coop demo" in line)
    assert "--port 8123" in demo_line


def test_db_prune_reports_what_it_forgot(env: dict[str, str]) -> None:
    run(env, "db", "upgrade")
    assert "pruned 0 idempotency keys and 0 sessions" in run(env, "db", "prune")
