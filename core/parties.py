"""Parties (organisations and persons) and memberships of the tenant co-op.

Identifiers are validated with python-stdnum for the party's country where the country is known:
VAT numbers (any EU prefix, or the country's own scheme), company numbers (SIREN/SIRET, CIF,
Handelsregister, UID, CVR, ...), IBAN and BIC.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import stdnum
from babel import Locale
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from core import audit, events, sequences
from core.db.lookup import fetch
from core.errors import Conflict, InvalidInput
from core.models import Membership, MembershipClass, Party
from core.pagination import Page, paginate
from core.party_events import (
    MEMBERSHIP_CREATED,
    MEMBERSHIP_STATUS_EVENTS,
    PARTY_CREATED,
    PARTY_DELETED,
    MembershipCreated,
    MembershipStatusChanged,
    PartyChanged,
)
from core.text import check_texts

__all__ = [
    "MEMBERSHIP_STATUSES",
    "PARTY_KINDS",
    "change_membership_status",
    "check_address",
    "check_bic",
    "check_iban",
    "check_vat_id",
    "create_membership",
    "create_party",
    "get_membership",
    "get_party",
    "list_memberships",
    "list_parties",
    "update_party",
]

PARTY_KINDS = ("organisation", "person")
MEMBERSHIP_STATUSES = ("applicant", "active", "suspended", "left")
_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "applicant": ("active", "left"),
    "active": ("suspended", "left"),
    "suspended": ("active", "left"),
    "left": (),
}
MEMBER_SERIES = "membership"
MEMBER_PATTERN = "M{number:05d}"
_COUNTRIES = frozenset(
    str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha()
)
_COMPANY_SCHEMES: dict[str, tuple[str, ...]] = {
    "fr": ("siren", "siret"),
    "es": ("cif", "nif"),
    "de": ("handelsregisternummer",),
    "ch": ("uid",),
    "dk": ("cvr",),
    "fi": ("ytunnus",),
    "se": ("orgnr",),
    "no": ("orgnr",),
    "pl": ("regon", "nip"),
    "it": ("iva",),
    "at": ("businessid",),
    "pt": ("nif",),
}
_ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "region", "country")


def check_country(country: str | None, field: str = "address.country") -> str | None:
    if country is None or country == "":
        return None
    code = country.strip().upper()
    if code not in _COUNTRIES:
        raise InvalidInput.field(field, f"{country!r} is not an ISO 3166 alpha-2 country code")
    return code


def check_address(address: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keep the known address fields, trimmed; the country must be ISO 3166 alpha-2."""
    if not address:
        return {}
    unknown = set(address) - set(_ADDRESS_FIELDS)
    if unknown:
        raise InvalidInput.field("address", f"unknown fields {sorted(unknown)}; use {list(_ADDRESS_FIELDS)}")
    clean = {k: (str(v).strip() or None) if v is not None else None for k, v in address.items()}
    check_texts(clean, "address.")
    clean["country"] = check_country(clean.get("country"))
    return {k: v for k, v in clean.items() if v is not None}


def check_vat_id(vat_id: str, country: str | None, field: str = "vat_id") -> str:
    """Validate and compact a VAT number: an EU prefix is checked by its own scheme, else the country's."""
    raw = vat_id.strip()
    if not raw:
        raise InvalidInput.field(field, "must not be empty")
    prefix = raw[:2].upper()
    try:
        if prefix.lower() in eu_vat.MEMBER_STATES:
            return str(eu_vat.validate(raw))
        if country:
            module = stdnum.get_cc_module(country.lower(), "vat")
            if module is not None:
                return str(module.validate(raw))
    except ValidationError as exc:
        raise InvalidInput.field(field, f"{vat_id!r} is not a valid VAT number: {exc}") from None
    return raw.replace(" ", "").upper()


def check_company_id(company_id: str, country: str | None, field: str = "company_id") -> str:
    """Validate a company number with the first of the country's schemes that accepts it."""
    raw = company_id.strip()
    if not raw:
        raise InvalidInput.field(field, "must not be empty")
    schemes = _COMPANY_SCHEMES.get((country or "").lower(), ())
    if not schemes:
        return raw
    errors = []
    for name in schemes:
        module = stdnum.get_cc_module(country.lower() if country else "", name)
        if module is None:
            continue
        try:
            return str(module.validate(raw))
        except ValidationError as exc:
            errors.append(f"{name}: {exc}")
    raise InvalidInput.field(
        field, f"{company_id!r} is not a valid company number in {country} ({'; '.join(errors)})"
    )


def check_iban(iban: str, field: str = "iban") -> str:
    try:
        return str(stdnum_iban.validate(iban))
    except ValidationError as exc:
        raise InvalidInput.field(field, f"{iban!r} is not a valid IBAN: {exc}") from None


def check_bic(bic: str, field: str = "bic") -> str:
    try:
        return str(stdnum_bic.validate(bic))
    except ValidationError as exc:
        raise InvalidInput.field(field, f"{bic!r} is not a valid BIC: {exc}") from None


_MAX_LENGTHS = {"email": 254, "phone": 40, "locale": 16, "notes": 10_000, "vat_id": 32, "company_id": 32}
_ADDRESS_LENGTHS = {"line1": 200, "line2": 200, "postcode": 20, "city": 100, "region": 100}


def _check_lengths(values: Mapping[str, Any]) -> None:
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


async def withdraw_application(
    session: AsyncSession, membership_id: uuid.UUID, *, actor_id: uuid.UUID | None
) -> None:
    """Delete a membership that is still an application (never admitted, so it has no number)."""
    membership = await get_membership(session, membership_id)
    if membership.status != "applicant":
        raise Conflict(
            f"a membership that is {membership.status} is not deleted; record that the member left"
        )
    await session.delete(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership_id,
        action="withdraw",
        changes={"party_id": str(membership.party_id)},
    )


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


def _search(statement: Select[tuple[Party]], q: str | None) -> Select[tuple[Party]]:
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
    statement = _search(select(Party), q)
    if kind:
        if kind not in PARTY_KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(PARTY_KINDS)}")
        statement = statement.where(Party.kind == kind)
    return await paginate(session, statement, sort=Party.name, id_column=Party.id, limit=limit, cursor=cursor)


async def ensure_default_class(session: AsyncSession) -> MembershipClass:
    found = await session.scalar(select(MembershipClass).where(MembershipClass.code == "member"))
    if found is None:
        found = MembershipClass(code="member", name="Member", description="Ordinary member", defaults={})
        session.add(found)
        await session.flush()
    return found


async def list_classes(session: AsyncSession) -> list[MembershipClass]:
    return list((await session.scalars(select(MembershipClass).order_by(MembershipClass.code))).all())


async def create_class(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    description: str = "",
    defaults: Mapping[str, Any] | None = None,
) -> MembershipClass:
    code = code.strip().lower()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput.field("code", "use letters, digits, '-' and '_'")
    if await session.scalar(select(MembershipClass.code).where(MembershipClass.code == code)) is not None:
        raise Conflict(f"membership class {code!r} already exists")
    found = MembershipClass(
        code=code, name=name.strip() or code, description=description, defaults=dict(defaults or {})
    )
    session.add(found)
    await session.flush()
    return found


async def create_membership(
    session: AsyncSession,
    *,
    party_id: uuid.UUID,
    class_code: str | None,
    status: str,
    on: date,
    actor_id: uuid.UUID | None,
) -> Membership:
    """Record a party's membership; an active member gets the next member number at once."""
    if status not in ("applicant", "active"):
        raise InvalidInput.field("status", "a new membership is 'applicant' or 'active'")
    await get_party(session, party_id)
    if await session.scalar(select(Membership.id).where(Membership.party_id == party_id)) is not None:
        raise Conflict("that party already has a membership")
    if class_code is None:
        class_code = (await ensure_default_class(session)).code
    elif await session.scalar(select(MembershipClass.code).where(MembershipClass.code == class_code)) is None:
        raise InvalidInput.field("class_code", f"no membership class {class_code!r}")
    membership = Membership(party_id=party_id, class_code=class_code, status="applicant", applied_on=on)
    session.add(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership.id,
        action="create",
        changes={"party_id": str(party_id), "class_code": class_code},
    )
    await events.publish(
        session, MEMBERSHIP_CREATED, MembershipCreated(membership_id=membership.id, party_id=party_id)
    )
    if status == "active":
        await change_membership_status(session, membership.id, "active", on=on, actor_id=actor_id)
    return membership


async def change_membership_status(
    session: AsyncSession, membership_id: uuid.UUID, status: str, *, on: date, actor_id: uuid.UUID | None
) -> Membership:
    """Move a membership along applicant → active ⇄ suspended → left; admission allocates the number."""
    membership = await get_membership(session, membership_id)
    if status not in MEMBERSHIP_STATUSES:
        raise InvalidInput.field("status", f"must be one of {', '.join(MEMBERSHIP_STATUSES)}")
    if status not in _TRANSITIONS[membership.status]:
        raise Conflict(f"a membership that is {membership.status} cannot become {status}")
    before = membership.status
    membership.status = status
    if status == "active" and membership.number is None:
        membership.joined_on = on
        membership.number = await sequences.next_number(
            session, MEMBER_SERIES, MEMBER_PATTERN, on=on, per_year=False
        )
    if status == "left":
        membership.left_on = on
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership.id,
        action=status,
        changes={"status": [before, status]},
    )
    await events.publish(
        session,
        MEMBERSHIP_STATUS_EVENTS[status],
        MembershipStatusChanged(
            membership_id=membership.id,
            party_id=membership.party_id,
            class_code=membership.class_code,
            previous_status=before,
        ),
    )
    return membership


async def get_membership(session: AsyncSession, membership_id: uuid.UUID) -> Membership:
    return await fetch(session, Membership, membership_id, what="membership")


async def list_memberships(
    session: AsyncSession, *, status: str | None, q: str | None, limit: int, cursor: str | None
) -> Page[Membership]:
    statement = select(Membership)
    if status:
        if status not in MEMBERSHIP_STATUSES:
            raise InvalidInput.field("status", f"must be one of {', '.join(MEMBERSHIP_STATUSES)}")
        statement = statement.where(Membership.status == status)
    if q:
        statement = statement.where(Membership.party_id.in_(_search(select(Party.id), q)))
    return await paginate(
        session,
        statement,
        sort=Membership.created_at,
        id_column=Membership.id,
        limit=limit,
        cursor=cursor,
        descending=True,
    )
