"""The scheduler makes recurring invoices without anyone running a command."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.db.engine import Database
from core.registry import ModuleRegistry
from core.scheduler import run_due_jobs
from core.settings import Settings
from tests.conftest import Coop
from tests.modules.invoicing.conftest import make_customer


async def test_the_daily_tick_makes_a_due_recurring_invoice_once(
    client: AsyncTestClient[Litestar],
    shop: Coop,
    database: Database,
    registry: ModuleRegistry,
    settings: Settings,
) -> None:
    customer = await make_customer(client, shop)
    today = datetime.now(UTC).date()
    plan = await client.post(
        f"{shop.api}/recurring",
        headers=shop.owner.headers,
        json={
            "customer_id": customer["id"],
            "frequency": "monthly",
            "start_date": today.isoformat(),
            "auto_issue": True,
            "lines": [
                {
                    "description": "Shared workshop rent",
                    "quantity": "1",
                    "unit_price": "450.00",
                    "vat_rate": "20",
                }
            ],
        },
    )
    assert plan.status_code == 201, plan.text
    for _ in range(2):
        report = await run_due_jobs(database, registry, settings, only=shop.id)
        assert not report.failed, report.failed
    invoices = (await client.get(f"{shop.api}/invoices", headers=shop.owner.headers)).json()["items"]
    assert [(i["state"], i["total_gross"]) for i in invoices] == [("issued", "540.00")]
