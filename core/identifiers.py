"""Checks of the identifiers and addresses a party carries, shared by parties, tenants and imports.

Identifiers are validated with python-stdnum for the party's country where the country is known:
VAT numbers (any EU prefix, or the country's own scheme), company numbers (SIREN/SIRET, CIF,
Handelsregister, UID, CVR, ...), IBAN and BIC. Countries are ISO 3166 alpha-2 codes as Babel knows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stdnum
from babel import Locale
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from core.errors import InvalidInput
from core.text import check_texts

__all__ = [
    "check_address",
    "check_bic",
    "check_company_id",
    "check_country",
    "check_iban",
    "check_vat_id",
]

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
