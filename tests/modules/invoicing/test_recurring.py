"""Recurring invoices: plans through the API, and the daily run that makes every due period once."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import anyio
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.cli import main
from core.db.engine import Database
from core.settings import Settings
from modules.invoicing.services.recurring import add_months, run_recurring
from tests.conftest import Coop
from tests.modules.invoicing.conftest import make_customer

LINES = [{"description": "Office rent", "quantity": "1", "unit_price": "800.00", "vat_rate": "20"}]


async def _plan(
    client: AsyncTestClient[Litestar], shop: Coop, customer_id: str, **extra: Any
) -> dict[str, Any]:
    body = {"customer_id": customer_id, "frequency": "monthly", "start_date": "2025-01-31", "lines": LINES}
    answer = await client.post(f"{shop.api}/recurring", json={**body, **extra}, headers=shop.owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _invoices(client: AsyncTestClient[Litestar], shop: Coop, customer_id: str) -> list[dict[str, Any]]:
    answer = await client.get(
        f"{shop.api}/invoices", params={"customer_id": customer_id, "limit": 100}, headers=shop.owner.headers
    )
    assert answer.status_code == 200, answer.text
    return sorted(answer.json()["items"], key=lambda d: d["issue_date"])


def test_months_keep_their_day_or_take_the_last_one() -> None:
    assert add_months(date(2025, 1, 31), 1, 31) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1, 31) == date(2024, 2, 29)
    assert add_months(date(2025, 2, 28), 1, 31) == date(2025, 3, 31)
    assert add_months(date(2025, 3, 31), 1, 31) == date(2025, 4, 30)
    assert add_months(date(2025, 11, 30), 3, 30) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12, 29) == date(2025, 2, 28)


async def test_a_run_catches_up_every_missed_month_once(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    plan = await _plan(client, shop, customer["id"], name="Rent")
    assert (plan["next_date"], plan["active"]) == ("2025-01-31", True)

    report = await run_recurring(database, shop.id, date(2025, 4, 1))
    assert [m.issue_date for m in report.made] == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    assert report.failed == []
    invoices = await _invoices(client, shop, customer["id"])
    assert [(i["issue_date"], i["state"], i["number"], i["total_gross"]) for i in invoices] == [
        ("2025-01-31", "draft", None, "960.00"),
        ("2025-02-28", "draft", None, "960.00"),
        ("2025-03-31", "draft", None, "960.00"),
    ]
    shown = (await client.get(f"{shop.api}/recurring/{plan['id']}", headers=shop.owner.headers)).json()
    assert shown["next_date"] == "2025-04-30"
    assert shown["last_document_id"] == invoices[-1]["id"]

    again = await run_recurring(database, shop.id, date(2025, 4, 1))
    assert again.made == []
    assert len(await _invoices(client, shop, customer["id"])) == 3


async def test_auto_issue_gives_gapless_numbers_in_date_order(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    await _plan(client, shop, customer["id"], auto_issue=True, start_date="2025-01-10")
    await _plan(client, shop, customer["id"], auto_issue=True, start_date="2025-01-20", frequency="quarterly")
    report = await run_recurring(database, shop.id, date(2025, 5, 1))
    assert [(m.issue_date, m.number) for m in report.made] == [
        (date(2025, 1, 10), "INV-2025-00001"),
        (date(2025, 1, 20), "INV-2025-00002"),
        (date(2025, 2, 10), "INV-2025-00003"),
        (date(2025, 3, 10), "INV-2025-00004"),
        (date(2025, 4, 10), "INV-2025-00005"),
        (date(2025, 4, 20), "INV-2025-00006"),
    ]
    invoices = await _invoices(client, shop, customer["id"])
    assert {i["state"] for i in invoices} == {"issued"}
    assert invoices[0]["due_date"] == "2025-02-09"


async def test_a_paused_plan_makes_nothing_and_the_end_date_stops_a_plan(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    paused = await _plan(client, shop, customer["id"])
    answer = await client.patch(
        f"{shop.api}/recurring/{paused['id']}", json={"active": False}, headers=shop.owner.headers
    )
    assert answer.status_code == 200, answer.text
    ending = await _plan(client, shop, customer["id"], start_date="2025-01-15", end_date="2025-02-20")

    report = await run_recurring(database, shop.id, date(2025, 6, 1))
    assert [(m.plan_id, m.issue_date) for m in report.made] == [
        (uuid.UUID(ending["id"]), date(2025, 1, 15)),
        (uuid.UUID(ending["id"]), date(2025, 2, 15)),
    ]
    shown = (await client.get(f"{shop.api}/recurring/{ending['id']}", headers=shop.owner.headers)).json()
    assert shown["active"] is False
    listed = (await client.get(f"{shop.api}/recurring", headers=shop.owner.headers)).json()["items"]
    assert {p["id"] for p in listed} == {paused["id"], ending["id"]}


async def test_plans_are_validated_changed_and_deleted(client: AsyncTestClient[Litestar], shop: Coop) -> None:
    customer = await make_customer(client, shop)
    bad = await client.post(
        f"{shop.api}/recurring",
        json={
            "customer_id": customer["id"],
            "frequency": "weekly",
            "start_date": "2025-01-01",
            "lines": LINES,
        },
        headers=shop.owner.headers,
    )
    assert bad.status_code == 422
    no_lines = await client.post(
        f"{shop.api}/recurring",
        json={"customer_id": customer["id"], "frequency": "monthly", "start_date": "2025-01-01", "lines": []},
        headers=shop.owner.headers,
    )
    assert no_lines.status_code == 422
    backwards = await client.post(
        f"{shop.api}/recurring",
        json={
            "customer_id": customer["id"],
            "frequency": "monthly",
            "start_date": "2025-03-01",
            "end_date": "2025-01-01",
            "lines": LINES,
        },
        headers=shop.owner.headers,
    )
    assert backwards.status_code == 422
    for start in ("0225-03-01", "9999-12-31"):  # a slipped year would make centuries of invoices
        slipped = await client.post(
            f"{shop.api}/recurring",
            json={"customer_id": customer["id"], "frequency": "monthly", "start_date": start, "lines": LINES},
            headers=shop.owner.headers,
        )
        assert (slipped.status_code, slipped.json()["errors"][0]["field"]) == (422, "start_date")
    plan = await _plan(client, shop, customer["id"])
    changed = await client.patch(
        f"{shop.api}/recurring/{plan['id']}",
        json={
            "frequency": "yearly",
            "lines": [
                {
                    "description": "Membership",
                    "unit_price": "120.00",
                    "vat_rate": "0",
                    "vat_category": "E",
                    "exemption_reason": "Article 261 CGI",
                }
            ],
        },
        headers=shop.owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["frequency"] == "yearly"
    assert changed.json()["lines"][0]["description"] == "Membership"
    gone = await client.delete(f"{shop.api}/recurring/{plan['id']}", headers=shop.owner.headers)
    assert gone.status_code == 204
    missing = await client.get(f"{shop.api}/recurring/{plan['id']}", headers=shop.owner.headers)
    assert missing.status_code == 404


async def test_the_command_runs_the_plans_of_one_tenant(
    client: AsyncTestClient[Litestar], shop: Coop, settings: Settings
) -> None:
    customer = await make_customer(client, shop)
    await _plan(client, shop, customer["id"], start_date="2025-01-31", auto_issue=True)
    env = {"COOPSTACK_DATABASE_URL": settings.database_url}

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(
            main, ["invoicing", "run-recurring", *args], env=env, catch_exceptions=False
        )

    result = await anyio.to_thread.run_sync(invoke, "--tenant", shop.slug, "--date", "2025-03-01")
    assert result.exit_code == 0, result.output
    assert f"{shop.slug}\tmade\t2025-01-31\tINV-2025-00001\t" in result.output
    assert f"{shop.slug}\tmade\t2025-02-28\tINV-2025-00002\t" in result.output
    assert f"{shop.slug}: 2 made, 0 failed" in result.output
    again = await anyio.to_thread.run_sync(invoke, "--tenant", shop.slug, "--date", "2025-03-01")
    assert f"{shop.slug}: 0 made, 0 failed" in again.output
    assert (await anyio.to_thread.run_sync(invoke)).exit_code == 2


async def test_a_plan_that_cannot_issue_is_reported_and_the_others_go_on(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    nowhere = await client.post(
        f"{shop.api}/parties",
        json={"kind": "organisation", "name": "No Country Ltd"},
        headers=shop.owner.headers,
    )
    broken = await _plan(client, shop, nowhere.json()["id"], start_date="2025-01-01", auto_issue=True)
    customer = await make_customer(client, shop)
    await _plan(client, shop, customer["id"], start_date="2025-01-02", auto_issue=True)
    report = await run_recurring(database, shop.id, date(2025, 2, 1))
    assert [m.issue_date for m in report.made] == [date(2025, 1, 2)]
    assert [plan_id for plan_id, _ in report.failed] == [uuid.UUID(broken["id"])]
    assert "country" in report.failed[0][1]
    shown = (await client.get(f"{shop.api}/recurring/{broken['id']}", headers=shop.owner.headers)).json()
    assert shown["next_date"] == "2025-01-01"
    assert await _invoices(client, shop, nowhere.json()["id"]) == []
