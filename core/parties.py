"""Parties of the tenant co-op: the organisations and persons it deals with, members or not.

A party's VAT and company numbers are checked for its country (``core.identifiers``); its memberships
live in ``core.memberships``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events
from core.db.lookup import fetch
from core.errors import Conflict, InvalidInput
from core.identifiers import check_address, check_company_id, check_vat_id
from core.models import Membership, Party
from core.pagination import Page, paginate
from core.party_events import PARTY_CREATED, PARTY_DELETED, PartyChanged
from core.text import check_texts

__all__ = [
    "PARTY_KINDS",
    "create_party",
    "delete_party",
    "get_party",
    "list_parties",
    "party_address",
    "search_parties",
    "update_party",
]

PARTY_KINDS = ("organisation", "person")

_MAX_LENGTHS = {"email": 254, "phone": 40, "locale": 16, "notes": 10_000, "vat_id": 32, "company_id": 32}
_ADDRESS_LENGTHS = {"line1": 200, "line2": 200, "postcode": 20, "city": 100, "region": 100}


def _check_types(values: Mapping[str, Any]) -> None:
    """Every field a text or absent, the address an object of texts: a caller other than the typed API
    (an import, a script) gets the field named, not a crash."""
    for field in ("kind", "name", *_MAX_LENGTHS):
        if values.get(field) is not None and not isinstance(values[field], str):
            raise InvalidInput.field(field, "must be a text")
    address = values.get("address")
    if address is not None and not isinstance(address, Mapping):
        raise InvalidInput.field("address", "must be an object")
    for field, value in (address or {}).items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput.field(f"address.{field}", "must be a text")


def _check_lengths(values: Mapping[str, Any]) -> None:
    _check_types(values)
    check_texts(values, lines=("notes",))
    for field, limit in _MAX_LENGTHS.items():
        value = values.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(field, f"must be at most {limit} characters")
    address = values.get("address") or {}
    if isinstance(address, Mapping):
        for field, limit in _ADDRESS_LENGTHS.items():
            value = address.get(field)
            if isinstance(value, str) and len(value.strip()) > limit:
                raise InvalidInput.field(f"address.{field}", f"must be at most {limit} characters")


def _party_values(values: Mapping[str, Any], *, current_country: str | None = None) -> dict[str, Any]:
    _check_lengths(values)
    out: dict[str, Any] = {}
    if "kind" in values:
        if values["kind"] not in PARTY_KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(PARTY_KINDS)}")
        out["kind"] = values["kind"]
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise InvalidInput.field("name", "must not be empty")
        if len(name) > 200:
            raise InvalidInput.field("name", "must be at most 200 characters")
        out["name"] = name
    for simple in ("email", "phone", "locale", "notes"):
        if simple in values:
            out[simple] = (values[simple] or "").strip() or (None if simple != "notes" else "")
    if out.get("email") and ("@" not in out["email"] or " " in out["email"]):
        raise InvalidInput.field("email", f"{out['email']!r} is not an e-mail address")
    country = current_country
    if "address" in values:
        address = check_address(values["address"])
        country = address.get("country")
        out.update(
            address_line1=address.get("line1"),
            address_line2=address.get("line2"),
            postcode=address.get("postcode"),
            city=address.get("city"),
            region=address.get("region"),
            country=country,
        )
    if values.get("vat_id"):
        out["vat_id"] = check_vat_id(values["vat_id"], country)
    elif "vat_id" in values:
        out["vat_id"] = None
    if values.get("company_id"):
        out["company_id"] = check_company_id(values["company_id"], country)
    elif "company_id" in values:
        out["company_id"] = None
    return out


def party_address(party: Party) -> dict[str, Any]:
    return {
        "line1": party.address_line1,
        "line2": party.address_line2,
        "postcode": party.postcode,
        "city": party.city,
        "region": party.region,
        "country": party.country,
    }


async def create_party(
    session: AsyncSession, values: Mapping[str, Any], *, actor_id: uuid.UUID | None
) -> Party:
    """Create a party in the session's tenant."""
    if "kind" not in values or "name" not in values:
        raise InvalidInput(
            "kind and name are required",
            errors=[{"field": f, "message": "is required"} for f in ("kind", "name") if f not in values],
        )
    party = Party(**_party_values(values))
    session.add(party)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="party",
        object_id=party.id,
        action="create",
        changes={"name": party.name, "kind": party.kind},
    )
    await events.publish(session, PARTY_CREATED, PartyChanged(party_id=party.id))
    return party


async def get_party(session: AsyncSession, party_id: uuid.UUID) -> Party:
    return await fetch(session, Party, party_id, what="party")


async def delete_party(session: AsyncSession, party_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    """Delete a party entered by mistake. Refused once it has a membership or anything else points at
    it (an invoice, a ledger account): those keep their history."""
    party = await get_party(session, party_id)
    if await session.scalar(select(Membership.id).where(Membership.party_id == party_id)) is not None:
        raise Conflict("this party has a membership; record that the member left instead of deleting")
    try:
        async with session.begin_nested():
            await session.delete(party)
            await session.flush()
    except IntegrityError:
        raise Conflict("other records refer to this party, so it cannot be deleted") from None
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="party",
        object_id=party_id,
        action="delete",
        changes={"name": party.name},
    )
    await events.publish(session, PARTY_DELETED, PartyChanged(party_id=party_id))


async def update_party(
    session: AsyncSession, party_id: uuid.UUID, values: Mapping[str, Any], *, actor_id: uuid.UUID | None
) -> Party:
    party = await get_party(session, party_id)
    changes = _party_values(values, current_country=party.country)
    before = {k: getattr(party, k) for k in changes}
    for key, value in changes.items():
        setattr(party, key, value)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="party",
        object_id=party.id,
        action="update",
        changes=audit.diff(before, changes),
    )
    return party


def search_parties(statement: Select[tuple[Party]], q: str | None) -> Select[tuple[Party]]:
    """Narrow a select over parties to a search text (name, e-mail, VAT number or city), so the party
    list and the membership list find the same parties for the same words."""
    if not q:
        return statement
    pattern = f"%{q.strip().lower()}%"
    return statement.where(
        or_(
            func.lower(Party.name).like(pattern),
            func.lower(Party.email).like(pattern),
            func.lower(Party.vat_id).like(pattern),
            func.lower(Party.city).like(pattern),
        )
    )


async def list_parties(
    session: AsyncSession, *, q: str | None, kind: str | None, limit: int, cursor: str | None
) -> Page[Party]:
    """Parties by name, filtered by a search text and kind."""
    statement = search_parties(select(Party), q)
    if kind:
        if kind not in PARTY_KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(PARTY_KINDS)}")
        statement = statement.where(Party.kind == kind)
    return await paginate(session, statement, sort=Party.name, id_column=Party.id, limit=limit, cursor=cursor)
