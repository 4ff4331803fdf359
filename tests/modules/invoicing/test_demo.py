"""The demo co-op that `make run` seeds shows invoicing at work: what its bookkeeper sees on first start."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.cli import main
from core.demo import DEMO_PASSWORD, DEMO_SLUG, seed
from core.registry import ModuleRegistry
from core.settings import Settings

Client = AsyncTestClient[Litestar]
API = f"/api/v1/tenants/{DEMO_SLUG}"


async def bookkeeper(client: Client) -> dict[str, str]:
    login = {"email": "books@coopstack.test", "password": DEMO_PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 200
    token = await client.post("/api/v1/auth/tokens", json={"name": "demo check"})
    assert token.status_code == 201, token.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {token.json()['token']}"}


async def documents(client: Client, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/invoices", params={"limit": "100", **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_the_demo_co_op_has_an_invoice_in_each_state_and_reseeding_adds_none(
    client: Client, settings: Settings, registry: ModuleRegistry
) -> None:
    await seed(settings, registry)
    headers = await bookkeeper(client)
    invoices = await documents(client, headers)
    assert sorted(d["state"] for d in invoices) == ["draft", "issued", "issued", "paid", "partially_paid"]
    issued = [d for d in invoices if d["number"]]
    assert len({d["number"] for d in issued}) == 4  # numbered in the order of their dates
    assert sorted(issued, key=lambda d: d["issue_date"]) == sorted(issued, key=lambda d: d["number"])
    overdue = await documents(client, headers, overdue="true")
    assert sorted(d["state"] for d in overdue) == ["issued", "partially_paid"]
    assert [d["kind"] for d in await documents(client, headers, kind="quote")] == ["quote"]
    credit_notes = await documents(client, headers, kind="credit_note")
    assert [(d["state"], d["total_gross"]) for d in credit_notes] == [("issued", "216.00")]

    aged = await client.get(f"{API}/reports/aged-receivables", headers=headers)
    assert aged.status_code == 200, aged.text
    (euros,) = aged.json()["currencies"]
    assert euros["totals"]["days_1_30"] != "0.00" and euros["totals"]["days_31_60"] != "0.00"
    pdf = await client.get(f"{API}/invoices/{issued[0]['id']}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    plans = (await client.get(f"{API}/recurring", headers=headers)).json()["items"]
    assert [p["frequency"] for p in plans] == ["monthly"]

    await seed(settings, registry)  # `make run` seeds on every start
    assert len(await documents(client, headers)) == len(invoices)


def test_a_demo_co_op_that_cannot_take_the_samples_still_starts(tmp_path: Path) -> None:
    """A demo co-op kept from before it had legal details: its invoices could not be issued, so it gets
    none, with a warning, and `make run` goes on to serve it."""
    env = {
        "COOPSTACK_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "COOPSTACK_PASSWORD_TIME_COST": "1",
        "COOPSTACK_PASSWORD_MEMORY_KIB": "1024",
    }
    runner = CliRunner()
    for command in (["db", "upgrade"], ["tenant", "create", "--slug", DEMO_SLUG, "--name", "Old demo"]):
        assert runner.invoke(main, command, env=env, catch_exceptions=False).exit_code == 0
    seeded = runner.invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert seeded.exit_code == 0, seeded.output
    assert "books@coopstack.test" in seeded.output
    assert "Note: the demo co-op has no invoicing samples: " in seeded.output
    with sqlite3.connect(tmp_path / "demo.db") as connection:  # none half-made either
        assert connection.execute("SELECT count(*) FROM invoicing_document").fetchone() == (0,)
