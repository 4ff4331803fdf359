"""Switching modules on and off for a co-op through the API: unknown modules, rights, dependencies,
and a switched-off module's routes answering 404."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from core import events
from core.app import create_app
from core.module import Module
from core.registry import ModuleRegistry, RegistryError
from core.settings import Settings
from core.tenants import PublicTenant, TenantContext
from tests.conftest import World


@get("/ledger/balance", opt={"permission": "core.tenant.view"})
async def ledger_balance(ctx: TenantContext) -> dict[str, str]:
    return {"balance": "0.00"}


@get("/ledger/everyone")
async def ungated() -> dict[str, str]:
    return {"balance": "0.00"}


@get("/ledger/rates")
async def public_rates(public_tenant: PublicTenant) -> dict[str, str]:
    return {"coop": public_tenant.name, "currency": public_tenant.currency}


LEDGER = Module(name="ledger", title="Ledger", version="1.0", api=[ledger_balance], public=[public_rates])
REPORTS = Module(name="reports", title="Reports", version="1.0", depends=("ledger",))


@pytest.fixture(scope="session")
def modular_app(settings: Settings) -> Litestar:
    """The application with two small modules of this test, one needing the other."""
    installed = events.bus()
    app = create_app(settings, ModuleRegistry.of([REPORTS, LEDGER]))
    events.install(installed)  # these modules have no handlers; keep the session's bus as it was
    return app


@pytest.fixture
async def modular(modular_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=modular_app) as test_client:
        yield test_client


def is_problem(answer: object, status: int) -> bool:
    assert hasattr(answer, "status_code") and hasattr(answer, "headers")
    return answer.status_code == status and answer.headers["content-type"].startswith(
        "application/problem+json"
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_an_unknown_module_is_a_404_problem(
    client: AsyncTestClient[Litestar], world: World, method: str
) -> None:
    coop = await world.coop()
    answer = await client.request(method, f"{coop.api}/modules/no_such_module", headers=coop.owner.headers)
    assert is_problem(answer, 404), answer.text
    assert "no_such_module" in answer.json()["detail"]


@pytest.mark.parametrize("role", ["bookkeeper", "member", "viewer"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_role_without_the_right_may_not_switch_modules(
    modular: AsyncTestClient[Litestar], world: World, role: str, method: str
) -> None:
    coop = await world.coop()
    person = await world.join(coop, role)
    answer = await modular.request(method, f"{coop.api}/modules/ledger", headers=person.headers)
    assert is_problem(answer, 403), answer.text
    assert "core.modules.manage" in answer.json()["detail"]
    listing = await modular.get(f"{coop.api}/modules", headers=coop.owner.headers)
    assert {m["name"]: m["enabled"] for m in listing.json()["items"]} == {"ledger": False, "reports": False}


async def test_an_admin_may_switch_modules(modular: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    admin = await world.join(coop, "admin")
    assert (await modular.put(f"{coop.api}/modules/ledger", headers=admin.headers)).status_code == 200
    assert (await modular.delete(f"{coop.api}/modules/ledger", headers=admin.headers)).status_code == 200


async def test_dependencies_decide_the_order_of_switching_on_and_off(
    modular: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    headers = coop.owner.headers
    refused = await modular.put(f"{coop.api}/modules/reports", headers=headers)
    assert is_problem(refused, 409), refused.text
    assert "'ledger'" in refused.json()["detail"] and refused.json()["missing"] == ["ledger"]

    assert (await modular.put(f"{coop.api}/modules/ledger", headers=headers)).json() == {
        "name": "ledger",
        "enabled": True,
    }
    assert (
        await modular.put(f"{coop.api}/modules/ledger", headers=headers)
    ).status_code == 200  # again: no-op
    assert (await modular.put(f"{coop.api}/modules/reports", headers=headers)).status_code == 200

    needed = await modular.delete(f"{coop.api}/modules/ledger", headers=headers)
    assert is_problem(needed, 409), needed.text
    assert "'reports'" in needed.json()["detail"] and needed.json()["needed_by"] == ["reports"]

    assert (await modular.delete(f"{coop.api}/modules/reports", headers=headers)).status_code == 200
    assert (await modular.delete(f"{coop.api}/modules/ledger", headers=headers)).status_code == 200
    listing = await modular.get(f"{coop.api}/modules", headers=headers)
    assert {m["name"]: m["enabled"] for m in listing.json()["items"]} == {"ledger": False, "reports": False}

    audit = await modular.get(f"{coop.api}/audit", params={"object_type": "module"}, headers=headers)
    actions = [(e["object_id"], e["action"]) for e in reversed(audit.json()["items"])]
    assert actions == [
        ("ledger", "enable"),
        ("reports", "enable"),
        ("reports", "disable"),
        ("ledger", "disable"),
    ]


async def test_a_modules_routes_answer_only_where_it_is_switched_on(
    modular: AsyncTestClient[Litestar], world: World
) -> None:
    coop, other = await world.coop(), await world.coop()
    for each in (coop, other):
        off = await modular.get(f"{each.api}/ledger/balance", headers=each.owner.headers)
        assert is_problem(off, 404), off.text
    await modular.put(f"{coop.api}/modules/ledger", headers=coop.owner.headers)
    on = await modular.get(f"{coop.api}/ledger/balance", headers=coop.owner.headers)
    assert on.status_code == 200 and on.json() == {"balance": "0.00"}
    still_off = await modular.get(f"{other.api}/ledger/balance", headers=other.owner.headers)
    assert is_problem(still_off, 404), "switching a module on for one co-op switched it on for another"
    await modular.delete(f"{coop.api}/modules/ledger", headers=coop.owner.headers)
    assert (await modular.get(f"{coop.api}/ledger/balance", headers=coop.owner.headers)).status_code == 404


def test_a_module_route_that_skips_the_tenant_check_stops_the_start_up(settings: Settings) -> None:
    installed = events.bus()
    careless = Module(name="careless", title="Careless", version="1.0", api=[ungated])
    with pytest.raises(RegistryError, match=r"module 'careless'.*ctx"):
        create_app(settings, ModuleRegistry.of([careless]))
    assert events.bus() is installed  # a refused start-up leaves the running handlers alone


async def test_a_modules_public_page_needs_no_login_but_the_module_switched_on(
    modular: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop(currency="CHF")
    assert is_problem(await modular.get(f"/p/{coop.slug}/ledger/rates"), 404)
    assert is_problem(await modular.get("/p/no-such-coop/ledger/rates"), 404)
    await modular.put(f"{coop.api}/modules/ledger", headers=coop.owner.headers)
    modular.cookies.clear()
    answer = await modular.get(f"/p/{coop.slug}/ledger/rates")
    assert answer.status_code == 200
    assert answer.json() == {"coop": f"Co-op {coop.slug}", "currency": "CHF"}
