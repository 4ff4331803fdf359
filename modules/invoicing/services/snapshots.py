"""The frozen picture of a document that every output is made from: the PDF, the Factur-X CII XML
and the UBL XML all read an ``InvoiceSnapshot``, so they cannot disagree. It is built from the
database once, at issue (and for previews of drafts), and never reaches back into the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from modules.invoicing.services.totals import Totals

__all__ = [
    "AddressSnapshot",
    "AdjustmentSnapshot",
    "Branding",
    "InvoiceSnapshot",
    "LineSnapshot",
    "PartySnapshot",
    "snapshot_from_json",
    "snapshot_to_json",
]


@dataclass(frozen=True, slots=True)
class AddressSnapshot:
    line1: str | None = None
    line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    """ISO 3166 alpha-2."""


@dataclass(frozen=True, slots=True)
class PartySnapshot:
    name: str
    address: AddressSnapshot
    vat_id: str | None = None
    """With its ISO 3166 prefix (BR-CO-09), e.g. FR40303265045."""
    company_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    position: int
    description: str
    quantity: Decimal
    unit: str
    """UN/ECE Recommendation 20 code: C62 (one), HUR (hour), DAY, KGM, MTR, LTR, ..."""
    unit_price: Decimal
    discount: Decimal
    vat_category: str
    vat_rate: Decimal
    net_amount: Decimal
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustmentSnapshot:
    is_charge: bool
    amount: Decimal
    reason: str
    vat_category: str
    vat_rate: Decimal


@dataclass(frozen=True, slots=True)
class Branding:
    """How the tenant's documents look."""

    colour: str = "#1b5e3b"
    footer: str = ""
    logo_data_uri: str | None = None
    """A ``data:image/...;base64,...`` URI (documents never fetch URLs)."""


@dataclass(frozen=True, slots=True)
class InvoiceSnapshot:
    kind: str
    """"invoice" (type code 380) or "credit_note" (381)."""
    number: str | None
    """None on a draft preview."""
    issue_date: date
    currency: str
    language: str
    """en, fr, de, es or it: the customer's locale, else the tenant's."""
    seller: PartySnapshot
    buyer: PartySnapshot
    lines: tuple[LineSnapshot, ...]
    totals: Totals
    adjustments: tuple[AdjustmentSnapshot, ...] = ()
    due_date: date | None = None
    payment_terms: str | None = None
    buyer_reference: str | None = None
    """BT-10."""
    order_reference: str | None = None
    """BT-13 purchase order."""
    notes: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    payment_reference: str | None = None
    """BT-83 remittance information (defaults to the number)."""
    preceding_number: str | None = None
    """BT-25: the invoice a credit note corrects."""
    preceding_date: date | None = None
    delivery_date: date | None = None
    """BT-72 actual delivery date (required with intra-community supplies, BR-IC-11)."""
    deliver_to_country: str | None = None
    """BT-80 deliver-to country (required with intra-community supplies, BR-IC-12)."""
    branding: Branding = field(default_factory=Branding)

    @property
    def type_code(self) -> str:
        return "381" if self.kind == "credit_note" else "380"

    @property
    def is_draft(self) -> bool:
        return self.number is None


def snapshot_to_json(snapshot: InvoiceSnapshot) -> dict[str, object]:
    """The snapshot as JSON-ready data (decimals and dates as strings): stored at issue."""
    data = msgspec.to_builtins(snapshot)
    assert isinstance(data, dict)
    return data


def _dec(value: object) -> Decimal:
    return Decimal(str(value))


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _party(data: dict[str, Any]) -> PartySnapshot:
    return PartySnapshot(
        name=data["name"],
        address=AddressSnapshot(**data["address"]),
        vat_id=data.get("vat_id"),
        company_id=data.get("company_id"),
        email=data.get("email"),
    )


def snapshot_from_json(data: dict[str, Any], *, number: str | None = None) -> InvoiceSnapshot:
    """Rebuild the snapshot stored at issue. ``number``: the document's number, which the snapshot
    leaves out (it is taken after the snapshot is written, see ``issue_document``)."""
    from modules.invoicing.services.totals import VatBreakdown

    totals = data["totals"]
    issue_date = _day(data["issue_date"])
    assert issue_date is not None
    return InvoiceSnapshot(
        kind=data["kind"],
        number=data.get("number") or number,
        issue_date=issue_date,
        currency=data["currency"],
        language=data["language"],
        seller=_party(data["seller"]),
        buyer=_party(data["buyer"]),
        lines=tuple(
            LineSnapshot(
                position=int(line["position"]),
                description=line["description"],
                quantity=_dec(line["quantity"]),
                unit=line["unit"],
                unit_price=_dec(line["unit_price"]),
                discount=_dec(line["discount"]),
                vat_category=line["vat_category"],
                vat_rate=_dec(line["vat_rate"]),
                net_amount=_dec(line["net_amount"]),
                exemption_reason=line.get("exemption_reason"),
            )
            for line in data["lines"]
        ),
        totals=Totals(
            line_nets=tuple(_dec(v) for v in totals["line_nets"]),
            sum_lines=_dec(totals["sum_lines"]),
            allowances=_dec(totals["allowances"]),
            charges=_dec(totals["charges"]),
            net=_dec(totals["net"]),
            vat=_dec(totals["vat"]),
            gross=_dec(totals["gross"]),
            prepaid=_dec(totals["prepaid"]),
            rounding=_dec(totals["rounding"]),
            due=_dec(totals["due"]),
            breakdown=tuple(
                VatBreakdown(
                    category=b["category"],
                    rate=_dec(b["rate"]),
                    taxable=_dec(b["taxable"]),
                    tax=_dec(b["tax"]),
                    exemption_reason=b.get("exemption_reason"),
                )
                for b in totals["breakdown"]
            ),
        ),
        adjustments=tuple(
            AdjustmentSnapshot(
                is_charge=bool(a["is_charge"]),
                amount=_dec(a["amount"]),
                reason=a["reason"],
                vat_category=a["vat_category"],
                vat_rate=_dec(a["vat_rate"]),
            )
            for a in data["adjustments"]
        ),
        due_date=_day(data.get("due_date")),
        payment_terms=data.get("payment_terms"),
        buyer_reference=data.get("buyer_reference"),
        order_reference=data.get("order_reference"),
        notes=data.get("notes"),
        payment_iban=data.get("payment_iban"),
        payment_bic=data.get("payment_bic"),
        payment_reference=data.get("payment_reference"),
        preceding_number=data.get("preceding_number"),
        preceding_date=_day(data.get("preceding_date")),
        delivery_date=_day(data.get("delivery_date")),
        deliver_to_country=data.get("deliver_to_country"),
        branding=Branding(**data.get("branding", {})),
    )
