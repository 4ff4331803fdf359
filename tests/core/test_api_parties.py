"""Parties and memberships through the API, as a co-op administrator uses them."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core import parties
from core.db.engine import Database
from core.errors import InvalidInput
from core.http import access
from tests.conftest import World


async def test_an_owner_creates_a_party_and_finds_it_by_search(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    created = await client.post(
        f"{coop.api}/parties",
        json={
            "kind": "organisation",
            "name": "Green Grocers",
            "vat_id": "FR40303265045",
            "address": {"city": "Lyon", "country": "FR"},
        },
        headers=coop.owner.headers,
    )
    assert created.status_code == 201, created.text
    found = await client.get(f"{coop.api}/parties", params={"q": "grocers"}, headers=coop.owner.headers)
    assert [p["name"] for p in found.json()["items"]] == ["Green Grocers"]


async def test_an_invalid_vat_number_is_refused_with_the_field_named(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    answer = await client.post(
        f"{coop.api}/parties",
        json={"kind": "organisation", "name": "Bad VAT", "vat_id": "FR123"},
        headers=coop.owner.headers,
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == "vat_id"
    listing = await client.get(f"{coop.api}/parties", headers=coop.owner.headers)
    assert listing.json()["items"] == []


async def test_admitted_members_get_consecutive_numbers(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    numbers = []
    for name in ("A", "B", "C"):
        party = (
            await client.post(
                f"{coop.api}/parties", json={"kind": "person", "name": name}, headers=coop.owner.headers
            )
        ).json()
        membership = await client.post(
            f"{coop.api}/memberships",
            json={"party_id": party["id"], "status": "active"},
            headers=coop.owner.headers,
        )
        assert membership.status_code == 201, membership.text
        numbers.append(membership.json()["number"])
    assert numbers == ["M00001", "M00002", "M00003"]


async def test_a_user_of_another_coop_gets_404_not_403(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    mine, theirs = await world.coop(), await world.coop()
    party = (
        await client.post(
            f"{theirs.api}/parties", json={"kind": "person", "name": "Secret"}, headers=theirs.owner.headers
        )
    ).json()
    assert (await client.get(f"{theirs.api}/parties", headers=mine.owner.headers)).status_code == 404
    assert (
        await client.get(f"{theirs.api}/parties/{party['id']}", headers=mine.owner.headers)
    ).status_code == 404
    assert (
        await client.get(f"{mine.api}/parties/{party['id']}", headers=mine.owner.headers)
    ).status_code == 404


async def test_cursor_pagination_walks_every_party_once(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    for i in range(7):
        await client.post(
            f"{coop.api}/parties", json={"kind": "person", "name": f"P{i}"}, headers=coop.owner.headers
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{coop.api}/parties", params=params, headers=coop.owner.headers)).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{i}" for i in range(7)]


async def test_the_same_idempotency_key_creates_one_party(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    headers = {**coop.owner.headers, "Idempotency-Key": "k-1"}
    first = await client.post(f"{coop.api}/parties", json={"kind": "person", "name": "Once"}, headers=headers)
    again = await client.post(f"{coop.api}/parties", json={"kind": "person", "name": "Once"}, headers=headers)
    other = await client.post(
        f"{coop.api}/parties", json={"kind": "person", "name": "Other"}, headers=headers
    )
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 409
    listing = await client.get(f"{coop.api}/parties", headers=coop.owner.headers)
    assert [p["name"] for p in listing.json()["items"]] == ["Once"]


async def test_a_viewer_may_read_but_not_create(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    viewer = await world.join(coop, "viewer")
    assert (await client.get(f"{coop.api}/parties", headers=viewer.headers)).status_code == 200
    answer = await client.post(
        f"{coop.api}/parties", json={"kind": "person", "name": "X"}, headers=viewer.headers
    )
    assert answer.status_code == 403


async def test_a_membership_cannot_leave_twice(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    party = (
        await client.post(
            f"{coop.api}/parties", json={"kind": "person", "name": "Z"}, headers=coop.owner.headers
        )
    ).json()
    membership = (
        await client.post(
            f"{coop.api}/memberships",
            json={"party_id": party["id"], "status": "active"},
            headers=coop.owner.headers,
        )
    ).json()
    url = f"{coop.api}/memberships/{membership['id']}/status"
    assert (await client.post(url, json={"status": "left"}, headers=coop.owner.headers)).status_code == 200
    again = await client.post(url, json={"status": "left"}, headers=coop.owner.headers)
    assert again.status_code == 409
    assert "cannot become left" in again.json()["detail"]


async def test_a_mistaken_party_can_be_deleted_but_not_a_member(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    headers = coop.owner.headers
    typo = (
        await client.post(f"{coop.api}/parties", json={"kind": "person", "name": "Tpyo"}, headers=headers)
    ).json()
    member = (
        await client.post(f"{coop.api}/parties", json={"kind": "person", "name": "M"}, headers=headers)
    ).json()
    await client.post(
        f"{coop.api}/memberships", json={"party_id": member["id"], "status": "active"}, headers=headers
    )
    assert (await client.delete(f"{coop.api}/parties/{typo['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{coop.api}/parties/{typo['id']}", headers=headers)).status_code == 404
    refused = await client.delete(f"{coop.api}/parties/{member['id']}", headers=headers)
    assert refused.status_code == 409
    assert (await client.get(f"{coop.api}/parties/{member['id']}", headers=headers)).status_code == 200


async def test_only_an_application_can_be_withdrawn(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    headers = coop.owner.headers
    ids = []
    for status in ("applicant", "active"):
        party = (
            await client.post(f"{coop.api}/parties", json={"kind": "person", "name": status}, headers=headers)
        ).json()
        ids.append(
            (
                await client.post(
                    f"{coop.api}/memberships",
                    json={"party_id": party["id"], "status": status},
                    headers=headers,
                )
            ).json()["id"]
        )
    applicant, member = ids
    assert (await client.delete(f"{coop.api}/memberships/{applicant}", headers=headers)).status_code == 204
    assert (await client.delete(f"{coop.api}/memberships/{member}", headers=headers)).status_code == 409
    remaining = (await client.get(f"{coop.api}/memberships", headers=headers)).json()["items"]
    assert [m["id"] for m in remaining] == [member]


async def test_memberships_and_the_audit_log_page_by_time(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    headers = coop.owner.headers
    for name in ("A", "B", "C", "D", "E"):
        party = (
            await client.post(f"{coop.api}/parties", json={"kind": "person", "name": name}, headers=headers)
        ).json()
        await client.post(f"{coop.api}/memberships", json={"party_id": party["id"]}, headers=headers)
    for path, expected in (("memberships", 5), ("audit", 10)):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = await client.get(f"{coop.api}/{path}", params=params, headers=headers)
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert len(seen) >= expected and len(seen) == len(set(seen)), path


@pytest.mark.parametrize("lookup", ["with the user", "by the tenant context"])
async def test_roles_and_modules_decide_the_same_whoever_looks_them_up(
    client: AsyncTestClient[Litestar], world: World, monkeypatch: pytest.MonkeyPatch, lookup: str
) -> None:
    """The user's lookup usually brings the membership in the tenant the path names; when it did
    not (a route it does not recognise), the tenant context looks it up itself, with the same answers."""
    if lookup == "by the tenant context":
        monkeypatch.setattr(access, "_tenant_route", lambda scope: None)
    mine, theirs = await world.coop(modules=("invoicing",)), await world.coop()
    member = await world.join(mine, "member")
    assert (await client.get(f"{mine.api}/parties", headers=mine.owner.headers)).status_code == 200
    assert (await client.get(f"{theirs.api}/parties", headers=mine.owner.headers)).status_code == 404
    assert (await client.get(f"{mine.api}/invoices", headers=mine.owner.headers)).status_code == 200
    assert (await client.get(f"{theirs.api}/invoices", headers=theirs.owner.headers)).status_code == 404
    created = await client.post(
        f"{mine.api}/parties", json={"kind": "person", "name": "Not Allowed"}, headers=member.headers
    )
    assert created.status_code == 403, created.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 5}, "name"),
        ({"email": ["a@b.example"]}, "email"),
        ({"phone": 12345}, "phone"),
        ({"vat_id": []}, "vat_id"),
        ({"company_id": {"x": 1}}, "company_id"),
        ({"address": "x"}, "address"),
        ({"address": {"city": 7}}, "address.city"),
        ({"locale": True}, "locale"),
        ({"notes": 1.5}, "notes"),
        ({"kind": "person"}, "kind"),
    ],
)
async def test_a_party_change_of_the_wrong_type_is_refused_naming_the_field(
    client: AsyncTestClient[Litestar], world: World, body: dict[str, object], field: str
) -> None:
    coop = await world.coop()
    party = (
        await client.post(
            f"{coop.api}/parties", json={"kind": "person", "name": "Ada"}, headers=coop.owner.headers
        )
    ).json()
    answer = await client.patch(f"{coop.api}/parties/{party['id']}", json=body, headers=coop.owner.headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
    after = await client.get(f"{coop.api}/parties/{party['id']}", headers=coop.owner.headers)
    assert after.json() == party


async def test_a_script_changing_a_party_with_a_number_gets_the_field_named(
    database: Database, world: World
) -> None:
    coop = await world.coop()
    async with database.transaction(tenant_id=coop.id) as session:
        party = await parties.create_party(session, {"kind": "person", "name": "Ada"}, actor_id=None)
        for values, field in (({"name": 5}, "name"), ({"address": {"city": 7}}, "address.city")):
            with pytest.raises(InvalidInput) as refused:
                await parties.update_party(session, party.id, values, actor_id=None)
            assert refused.value.errors == [{"field": field, "message": "must be a text"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "worker", "name": "W" * 101}, "name"),
        ({"code": "worker", "name": "Work\x00er"}, "name"),
        ({"code": "w" * 41, "name": "Worker"}, "code"),
        ({"code": "worker", "name": "Worker", "description": "d" * 2001}, "description"),
        (
            {"code": "worker", "name": "Worker", "defaults": {"credit": {"a": {"b": {"c": {"d": 1}}}}}},
            "defaults",
        ),
        ({"code": "worker", "name": "Worker", "defaults": {"note": "x" * 10_001}}, "defaults"),
    ],
)
async def test_a_membership_class_too_long_or_too_deep_is_refused_naming_the_field(
    client: AsyncTestClient[Litestar], world: World, body: dict[str, object], field: str
) -> None:
    coop = await world.coop()
    answer = await client.post(f"{coop.api}/membership-classes", json=body, headers=coop.owner.headers)
    assert answer.status_code == 422, answer.text[:300]
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    listed = await client.get(f"{coop.api}/membership-classes", headers=coop.owner.headers)
    assert "worker" not in [c["code"] for c in listed.json()["items"]]


async def test_a_body_nested_thousands_deep_is_a_client_error(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    nested = '{"code": "deep", "name": "Deep", "defaults": {"k": ' + "[" * 3000 + "]" * 3000 + "}}"
    answer = await client.post(
        f"{coop.api}/membership-classes",
        content=nested,
        headers={**coop.owner.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["detail"] == "the body is nested too deeply"
