"""Request and response shapes of the core API. Amounts travel as strings; ids as UUID strings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import msgspec

from core.models import ApiToken, Membership, MembershipClass, Party, Tenant
from core.parties import party_address

__all__ = [
    "Address",
    "LoginIn",
    "MembershipIn",
    "PartyIn",
    "PartyPatch",
    "StatusIn",
    "TokenIn",
]


class Address(msgspec.Struct, forbid_unknown_fields=True):
    line1: str | None = None
    line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    tenant: str | None = None
    """A co-op's slug: the token acts there only."""
    read_only: bool = False
    """The token may read, never change anything."""
    expires_in_days: int | None = None
    """The token stops working after this many days (1 to 3650); without it, when revoked."""


class PartyIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["organisation", "person"]
    name: str
    email: str | None = None
    phone: str | None = None
    vat_id: str | None = None
    company_id: str | None = None
    address: Address | None = None
    locale: str | None = None
    notes: str = ""


class PartyPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A change to a party: only the fields sent change; ``null`` clears an optional one. A party's
    kind is fixed once created."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    email: str | msgspec.UnsetType | None = msgspec.UNSET
    phone: str | msgspec.UnsetType | None = msgspec.UNSET
    vat_id: str | msgspec.UnsetType | None = msgspec.UNSET
    company_id: str | msgspec.UnsetType | None = msgspec.UNSET
    address: Address | msgspec.UnsetType | None = msgspec.UNSET
    locale: str | msgspec.UnsetType | None = msgspec.UNSET
    notes: str | msgspec.UnsetType | None = msgspec.UNSET


class MembershipIn(msgspec.Struct, forbid_unknown_fields=True):
    party_id: uuid.UUID
    class_code: str | None = None
    status: Literal["applicant", "active"] = "applicant"
    date: date | None = None


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["applicant", "active", "suspended", "left"]
    date: date | None = None


class MembershipClassIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str
    description: str = ""
    defaults: dict[str, Any] = msgspec.field(default_factory=dict)


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    role: Literal["owner", "admin", "bookkeeper", "member", "viewer"]
    party_id: uuid.UUID | None = None


def to_dict(struct: msgspec.Struct, *, omit_unset: bool = True) -> dict[str, Any]:
    """A struct as a plain dict (nested structs too), for the services."""
    data: dict[str, Any] = msgspec.to_builtins(struct)
    return data


def sent_fields(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body named, as plain values (nested structs too): the ones to change."""
    return {
        field: msgspec.to_builtins(getattr(struct, field))
        for field in struct.__struct_fields__
        if getattr(struct, field) is not msgspec.UNSET
    }


def party_out(party: Party) -> dict[str, Any]:
    return {
        "id": str(party.id),
        "kind": party.kind,
        "name": party.name,
        "email": party.email,
        "phone": party.phone,
        "vat_id": party.vat_id,
        "company_id": party.company_id,
        "address": party_address(party),
        "locale": party.locale,
        "notes": party.notes,
        "created_at": party.created_at.isoformat(),
        "updated_at": party.updated_at.isoformat(),
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": str(membership.id),
        "party_id": str(membership.party_id),
        "number": membership.number,
        "class_code": membership.class_code,
        "status": membership.status,
        "applied_on": membership.applied_on.isoformat() if membership.applied_on else None,
        "joined_on": membership.joined_on.isoformat() if membership.joined_on else None,
        "left_on": membership.left_on.isoformat() if membership.left_on else None,
        "created_at": membership.created_at.isoformat(),
    }


def class_out(found: MembershipClass) -> dict[str, Any]:
    return {
        "code": found.code,
        "name": found.name,
        "description": found.description,
        "defaults": found.defaults,
    }


def tenant_out(tenant: Tenant, *, modules: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(tenant.id),
        "slug": tenant.slug,
        "name": tenant.name,
        "legal_name": tenant.legal_name,
        "vat_id": tenant.vat_id,
        "company_id": tenant.company_id,
        "address": tenant.address or {},
        "email": tenant.email,
        "iban": tenant.iban,
        "bic": tenant.bic,
        "currency": tenant.currency,
        "locale": tenant.locale,
        "timezone": tenant.timezone,
    }
    if modules is not None:
        out["modules"] = sorted(modules)
    return out


def token_out(token: ApiToken, tenant_slugs: Mapping[uuid.UUID, str]) -> dict[str, Any]:
    """A token without its secret; ``tenant_slugs`` names the co-op a token is limited to."""
    return {
        "id": str(token.id),
        "name": token.name,
        "prefix": token.prefix,
        "tenant": tenant_slugs.get(token.only_tenant_id) if token.only_tenant_id else None,
        "read_only": token.read_only,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
