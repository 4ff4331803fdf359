"""Every API operation, fed generated input by schemathesis from our own OpenAPI schema, answers
without a server error: bad input is a 4xx problem, never a 500. The operations on one object are
given a real one (a draft invoice, a customer, a recurring plan, a membership), so generated bodies
reach the checks behind the lookup instead of stopping at a 404."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.serving import DEMO_EMAIL, DEMO_PASSWORD, demo_server

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


def _objects(client: httpx.Client) -> dict[str, str]:
    """One real object of each kind the operations' paths name, in the demo co-op."""
    api = "/api/v1/tenants/demo"
    address = {"line1": "2 Marktplatz", "postcode": "04109", "city": "Leipzig", "country": "DE"}
    customer = client.post(
        f"{api}/parties",
        json={"kind": "organisation", "name": "Fuzz Kunde eG", "vat_id": "DE136695976", "address": address},
    )
    customer.raise_for_status()
    lines = [{"description": "Crates", "quantity": "2", "unit_price": "10.00", "vat_rate": "20"}]
    draft = client.post(f"{api}/invoices", json={"customer_id": customer.json()["id"], "lines": lines})
    draft.raise_for_status()
    plan = client.post(
        f"{api}/recurring",
        json={
            "customer_id": customer.json()["id"],
            "frequency": "monthly",
            "start_date": "2027-01-01",
            "lines": lines,
        },
    )
    plan.raise_for_status()
    membership = client.get(f"{api}/memberships", params={"limit": 1})
    membership.raise_for_status()
    return {
        "party_id": customer.json()["id"],
        "document_id": draft.json()["id"],
        "plan_id": plan.json()["id"],
        "membership_id": membership.json()["items"][0]["id"],
    }


def test_no_generated_request_makes_the_api_fail_with_a_500(tmp_path: Path) -> None:
    if not Path(SCHEMATHESIS).exists():
        pytest.fail("schemathesis is part of the dev dependencies; run `make install`")
    with demo_server(
        tmp_path, COOPSTACK_RATE_LIMIT_PER_MINUTE="100000000", COOPSTACK_SCHEDULER="off"
    ) as base_url:
        with httpx.Client(base_url=base_url) as client:
            client.post(
                "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            ).raise_for_status()
            token = client.post("/api/v1/auth/tokens", json={"name": "fuzz"}).json()["token"]
            parameters = {"tenant": "demo", **_objects(client)}
        (tmp_path / "schemathesis.toml").write_text(
            "[parameters]\n" + "".join(f'{name} = "{value}"\n' for name, value in parameters.items())
        )
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"{base_url}/schema/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "8",
                "--workers",
                "1",
                "--seed",
                "20261124",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        server_log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n--- server log ---\n{server_log[-4000:]}"
    assert "generated" in result.stdout
