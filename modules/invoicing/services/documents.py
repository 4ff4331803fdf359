"""Drafts, issuing, credit notes: the life of an invoice.

draft → issued → (partially_paid) → paid. A draft can change or be deleted; an issued document
never changes: it is corrected by a credit note, which settles it like a payment. Numbers come from
a gapless series at issue, never on a draft.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import (
    Column,
    Table,
    bindparam,
    delete,
    false,
    insert,
    null,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events, sequences
from core.dates import check_date
from core.db.base import utcnow
from core.db.lookup import fetch, hold
from core.db.tenancy import TenantScopeError, all_tenants, required_tenant_id
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Party, Tenant
from core.money import parse_amount
from core.parties import check_bic, check_iban
from core.tenants import check_currency
from core.text import check_text, check_texts
from modules.invoicing.calc import AdjustmentInput, LineInput, Totals, compute_totals, validate_lines
from modules.invoicing.i18n import LANGUAGES
from modules.invoicing.models import Adjustment, Document, InvoicingSettings, Line
from modules.invoicing.services.settings import get_settings, settings_found
from modules.invoicing.snapshot import (
    AddressSnapshot,
    AdjustmentSnapshot,
    Branding,
    InvoiceSnapshot,
    LineSnapshot,
    PartySnapshot,
    snapshot_to_json,
)

__all__ = [
    "LANGUAGES",
    "AdjustmentData",
    "DraftInput",
    "LineData",
    "adjustment_data",
    "adjustment_inputs",
    "create_draft",
    "credit_invoice",
    "delete_draft",
    "get_document",
    "issue_document",
    "line_data",
    "line_inputs",
    "lines_of",
    "settle",
    "snapshot_of",
    "update_draft",
    "write_lines",
]

MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str = "S"
    unit: str = "C62"
    discount: Decimal = Decimal(0)
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustmentData:
    amount: Decimal
    vat_rate: Decimal
    is_charge: bool = False
    reason: str = ""
    vat_category: str = "S"


@dataclass(frozen=True, slots=True)
class DraftInput:
    """What a bookkeeper fills in; ``None`` means "keep" on update and "default" on create."""

    customer_id: uuid.UUID | None = None
    currency: str | None = None
    lines: Sequence[LineData] | None = None
    adjustments: Sequence[AdjustmentData] | None = None
    issue_date: date | None = None
    payment_terms_days: int | None = None
    due_date: date | None = None
    delivery_date: date | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    notes: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    language: str | None = None
    kind: str = "invoice"
    dates_as_given: bool = False
    """On update: take ``issue_date`` and ``due_date`` as given, ``None`` clearing them (a full form),
    instead of ``None`` meaning "keep"."""


def parse_line(raw: dict[str, Any], index: int) -> LineData:
    """A line from API or form data; amounts are decimal strings."""
    field = f"lines[{index}]"
    description = str(raw.get("description") or "").strip()
    if not description:
        raise InvalidInput.field(f"{field}.description", "must not be empty")
    if len(description) > 2000:
        raise InvalidInput.field(f"{field}.description", "must be at most 2000 characters")
    check_texts(raw, f"{field}.", lines=("description",))
    if raw.get("vat_rate") in (None, ""):
        raise InvalidInput.field(f"{field}.vat_rate", "is required (0 for zero-rated or exempt lines)")
    return LineData(
        description=description,
        quantity=parse_amount(raw.get("quantity", "1"), field=f"{field}.quantity", places=4),
        unit_price=parse_amount(raw.get("unit_price", ""), field=f"{field}.unit_price", places=4),
        vat_rate=parse_amount(raw["vat_rate"], field=f"{field}.vat_rate", places=2),
        vat_category=str(raw.get("vat_category") or "S").upper(),
        unit=str(raw.get("unit") or "C62").upper()[:8],
        discount=parse_amount(raw.get("discount") or "0", field=f"{field}.discount", places=4),
        exemption_reason=(str(raw["exemption_reason"]).strip() or None)
        if raw.get("exemption_reason")
        else None,
    )


def parse_adjustment(raw: dict[str, Any], index: int) -> AdjustmentData:
    field = f"adjustments[{index}]"
    check_texts(raw, f"{field}.")
    if raw.get("vat_rate") in (None, ""):
        raise InvalidInput.field(f"{field}.vat_rate", "is required")
    return AdjustmentData(
        amount=parse_amount(raw.get("amount", ""), field=f"{field}.amount", places=2),
        vat_rate=parse_amount(raw["vat_rate"], field=f"{field}.vat_rate", places=2),
        is_charge=bool(raw.get("is_charge", False)),
        reason=str(raw.get("reason") or "")[:200],
        vat_category=str(raw.get("vat_category") or "S").upper(),
    )


class LineLike(Protocol):
    """Anything shaped like a line: a ``Line`` row, ``LineData``, a ``LineSnapshot``."""

    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def vat_category(self) -> str: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def exemption_reason(self) -> str | None: ...


class AdjustmentLike(Protocol):
    """Anything shaped like a document allowance or charge."""

    @property
    def is_charge(self) -> bool: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def vat_category(self) -> str: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def reason(self) -> str: ...


def line_inputs(lines: Sequence[LineLike]) -> list[LineInput]:
    """What the calculation engine needs of each line."""
    return [
        LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            discount=line.discount,
            exemption_reason=line.exemption_reason,
        )
        for line in lines
    ]


def adjustment_inputs(adjustments: Sequence[AdjustmentLike]) -> list[AdjustmentInput]:
    """What the calculation engine needs of each allowance or charge."""
    return [
        AdjustmentInput(
            is_charge=a.is_charge,
            amount=a.amount,
            vat_category=a.vat_category,
            vat_rate=a.vat_rate,
            reason=a.reason,
        )
        for a in adjustments
    ]


class StoredLine(LineLike, Protocol):
    """A line as stored: a ``Line`` row, or the ``LineSnapshot`` of one just written."""

    @property
    def position(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def net_amount(self) -> Decimal: ...


class StoredAdjustment(AdjustmentLike, Protocol):
    """An allowance or charge as stored: an ``Adjustment`` row, or the ``AdjustmentRow`` just written."""

    @property
    def position(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    """A stored allowance or charge: the values of its row (but its key), not a mapped object. Building
    mapped objects for rows that are only read cost more than the query or the INSERT."""

    position: int
    is_charge: bool
    amount: Decimal
    reason: str
    vat_category: str
    vat_rate: Decimal


class Rows(NamedTuple):
    """A document's lines and adjustments, in position order."""

    lines: Sequence[StoredLine]
    adjustments: Sequence[StoredAdjustment]


class Written(NamedTuple):
    """What ``write_lines`` stored: the totals, and the rows."""

    totals: Totals
    rows: Rows


class Draft(NamedTuple):
    """A new draft with the rows just written (no need to read them back)."""

    document: Document
    rows: Rows


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, *, for_update: bool = False
) -> Document:
    """The document; ``for_update`` locks it for a change that depends on its state (issue, credit, edit)."""
    return await fetch(session, Document, document_id, what="invoice", for_update=for_update)


async def lines_of(session: AsyncSession, document_id: uuid.UUID) -> Rows:
    """The document's lines and adjustments, in position order: their values, read in one round trip."""
    key = {"tenant_id": required_tenant_id(session), "document_id": document_id}
    lines: list[LineSnapshot] = []
    adjustments: list[AdjustmentRow] = []
    for row in await session.execute(_ROWS_OF, key):
        if row.is_line:
            lines.append(LineSnapshot(*(getattr(row, name) for name in _LINE_FIELDS)))
        else:
            adjustments.append(AdjustmentRow(*(getattr(row, name) for name in _ADJUSTMENT_FIELDS)))
    return Rows(lines, adjustments)


def _rows_of() -> Any:
    """A document's lines, then its adjustments, each in position order, as one statement: a column
    per field of either (NULL where the other kind has no such field). By the whole key, the tenant
    named by the statement, so the session's tenant filter would only repeat it. Built once (building
    a statement and keying it for SQLAlchemy's compiled cache cost more than running it)."""
    line, adjustment = _table(Line), _table(Adjustment)
    by_name = {
        name: (line.c.get(name), adjustment.c.get(name))
        for name in dict.fromkeys(_LINE_FIELDS + _ADJUSTMENT_FIELDS)
    }

    def part(table: Table, is_line: bool) -> Any:
        columns = [(true() if is_line else false()).label("is_line")]
        for name, (of_line, of_adjustment) in by_name.items():
            mine, other = (of_line, of_adjustment) if is_line else (of_adjustment, of_line)
            column = mine if mine is not None else type_coerce(null(), cast(Column[Any], other).type)
            columns.append(column.label(name))
        return select(*columns).where(
            table.c.tenant_id == bindparam("tenant_id"), table.c.document_id == bindparam("document_id")
        )

    rows = union_all(part(line, True), part(adjustment, False)).subquery()
    return select(rows).order_by(rows.c.is_line.desc(), rows.c.position).execution_options(**all_tenants())


# What a new draft reads, and what issuing a stored draft reads besides its lines, each in one round
# trip: the customer with the tenant's settings row (None until someone changes them), and the draft
# (locked) with both. By the whole key, the tenant named by the statement (see ``_rows_of``).
_CUSTOMER = (
    select(Party, InvoicingSettings)
    .outerjoin(InvoicingSettings, InvoicingSettings.tenant_id == Party.tenant_id)
    .where(Party.tenant_id == bindparam("tenant_id"), Party.id == bindparam("customer_id"))
    .execution_options(**all_tenants())
)
_DRAFT_TO_ISSUE = (
    select(Document, Party, InvoicingSettings)
    .join(Party, (Party.tenant_id == Document.tenant_id) & (Party.id == Document.customer_id))
    .outerjoin(InvoicingSettings, InvoicingSettings.tenant_id == Document.tenant_id)
    .where(Document.tenant_id == bindparam("tenant_id"), Document.id == bindparam("document_id"))
    .with_for_update(of=Document)
    .execution_options(populate_existing=True, **all_tenants())
)


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Party:
    """The customer of a new draft; the tenant's settings come with it (see ``get_settings``)."""
    row = (
        await session.execute(
            _CUSTOMER, {"tenant_id": required_tenant_id(session), "customer_id": customer_id}
        )
    ).first()
    if row is None:
        raise NotFound("no such customer")
    hold(session, row.Party, customer_id)
    settings_found(session, row.InvoicingSettings)
    return cast(Party, row.Party)


async def _draft_to_issue(session: AsyncSession, document_id: uuid.UUID) -> Document:
    """The stored document, locked, with its customer and the tenant's settings (see ``_customer``)."""
    key = {"tenant_id": required_tenant_id(session), "document_id": document_id}
    row = (await session.execute(_DRAFT_TO_ISSUE, key)).first()
    if row is None:
        raise NotFound("no such invoice")
    hold(session, row.Document, document_id)
    hold(session, row.Party, row.Party.id)
    settings_found(session, row.InvoicingSettings)
    return cast(Document, row.Document)


def _table(model: type[Line | Adjustment]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _fields(values: type[LineSnapshot | AdjustmentRow], model: type[Line | Adjustment]) -> tuple[str, ...]:
    """The fields of ``values``: one per column of ``model`` but the key (checked at import)."""
    names = tuple(f.name for f in fields(values))
    if set(names) != {c.key for c in _table(model).columns} - {"tenant_id", "document_id"}:
        raise RuntimeError(f"{values.__name__} needs one field per column of {_table(model).name}")
    return names


_LINE_FIELDS, _ADJUSTMENT_FIELDS = _fields(LineSnapshot, Line), _fields(AdjustmentRow, Adjustment)
_ROWS_OF = _rows_of()

# Lines and adjustments are inserted with Core statements, built once: new rows need none of the unit
# of work's bookkeeping, which cost more than the INSERT (the rows returned stay unattached).
_LINES, _ADJUSTMENTS = insert(_table(Line)), insert(_table(Adjustment))


def _apply_totals(document: Document, totals: Totals) -> None:
    document.total_lines = totals.sum_lines
    document.total_allowances = totals.allowances
    document.total_charges = totals.charges
    document.total_net = totals.net
    document.total_vat = totals.vat
    document.total_gross = totals.gross
    document.amount_due = totals.due


async def write_lines(
    session: AsyncSession,
    document: Document,
    lines: Sequence[LineData],
    adjustments: Sequence[AdjustmentData],
    *,
    fresh: bool = False,
) -> Written:
    """Replace the document's lines and adjustments and store its totals (``fresh``: it has none yet)."""
    if len(lines) > MAX_LINES:
        raise InvalidInput.field("lines", f"at most {MAX_LINES} lines per document")
    totals = compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )
    _apply_totals(document, totals)
    tenant_id = required_tenant_id(session)  # the INSERTs below are not stamped by the session
    if document.tenant_id not in (None, tenant_id):
        raise TenantScopeError("a document of another tenant cannot get lines here")
    if fresh:
        await session.flush()  # the document's row (with its totals) before its lines refer to it
    else:
        await session.execute(delete(Line).where(Line.document_id == document.id))
        await session.execute(delete(Adjustment).where(Adjustment.document_id == document.id))
    rows = [  # the values of the new rows, not mapped objects (see AdjustmentRow)
        LineSnapshot(
            position=index + 1,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            discount=line.discount,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            net_amount=totals.line_nets[index],
            exemption_reason=line.exemption_reason,
        )
        for index, line in enumerate(lines)
    ]
    extras = [
        AdjustmentRow(
            position=index + 1,
            is_charge=a.is_charge,
            amount=a.amount,
            reason=a.reason,
            vat_category=a.vat_category,
            vat_rate=a.vat_rate,
        )
        for index, a in enumerate(adjustments)
    ]
    key = {"tenant_id": tenant_id, "document_id": document.id}
    for statement, names, written in (
        (_LINES, _LINE_FIELDS, rows),
        (_ADJUSTMENTS, _ADJUSTMENT_FIELDS, extras),
    ):
        if written:
            await session.execute(
                statement, [{**key, **{n: getattr(row, n) for n in names}} for row in written]
            )
    return Written(totals, Rows(rows, extras))


def _check_shape(data: DraftInput, currency: str | None) -> None:
    """The line rules a draft must already follow. Whether the parties have the VAT ids a category
    needs is checked at issue: a draft may wait for the customer's details."""
    present = "checked at issue"
    errors = validate_lines(
        line_inputs(data.lines or ()),
        adjustment_inputs(data.adjustments or ()),
        seller_vat_id=present,
        buyer_vat_id=present,
        currency=currency,
    )
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


async def create_draft(
    session: AsyncSession, data: DraftInput, *, today: date, actor_id: uuid.UUID | None
) -> Draft:
    """A new draft (no number) for a customer party; totals computed from the lines."""
    if data.customer_id is None:
        raise InvalidInput.field("customer_id", "is required")
    if data.kind not in ("invoice", "quote"):
        raise InvalidInput.field("kind", "a new document is an invoice or a quote")
    _check_typed(data)
    customer = await _customer(session, data.customer_id)
    settings = await get_settings(session)
    tenant = await session.get_one(Tenant, session.info["tenant_id"])
    _check_shape(data, data.currency or tenant.currency)
    terms = data.payment_terms_days if data.payment_terms_days is not None else settings.payment_terms_days
    if not 0 <= terms <= 365:
        raise InvalidInput.field("payment_terms_days", "must be between 0 and 365")
    language = data.language or (customer.locale or tenant.locale or "en").split("_")[0]
    if language not in LANGUAGES:
        language = "en"
    document = Document(
        id=uuid.uuid4(),
        kind=data.kind,
        state="draft",
        customer_id=customer.id,
        currency=check_currency(data.currency or tenant.currency),
        language=language,
        issue_date=data.issue_date,
        due_date=data.due_date,
        delivery_date=data.delivery_date,
        payment_terms_days=terms,
        buyer_reference=_text(data.buyer_reference, 100, "buyer_reference"),
        order_reference=_text(data.order_reference, 100, "order_reference"),
        notes=data.notes or "",
        payment_iban=check_iban(data.payment_iban, "payment_iban") if data.payment_iban else None,
        payment_bic=check_bic(data.payment_bic, "payment_bic") if data.payment_bic else None,
        prepaid=Decimal(0),
    )
    session.add(document)
    await audit.record(  # written by the flush that writes the document
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=document.id,
        action="create",
        changes={"customer_id": str(customer.id), "kind": document.kind},
    )
    written = await write_lines(session, document, data.lines or (), data.adjustments or (), fresh=True)
    return Draft(document, written.rows)


def _check_typed(data: DraftInput) -> None:
    """The notes and dates a person typed (``_text`` checks the references)."""
    if data.notes is not None:
        check_text(data.notes, "notes", lines=True)
    for name in ("issue_date", "due_date", "delivery_date"):
        value = getattr(data, name)
        if value is not None:
            check_date(value, name)


def _text(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    value = check_text(value.strip(), field)
    if len(value) > limit:
        raise InvalidInput.field(field, f"must be at most {limit} characters")
    return value or None


async def update_draft(
    session: AsyncSession, document_id: uuid.UUID, data: DraftInput, *, actor_id: uuid.UUID | None
) -> Document:
    """Change a draft; an issued document is refused (correct it with a credit note)."""
    document = await get_document(session, document_id, for_update=True)
    if document.state != "draft":
        raise Conflict(_frozen(document, "cannot change"))
    _check_typed(data)
    if data.customer_id is not None:
        document.customer_id = (await fetch(session, Party, data.customer_id, what="customer")).id
    if data.currency is not None:
        document.currency = check_currency(data.currency)
    for name in ("issue_date", "due_date", "delivery_date", "notes", "language"):
        value = getattr(data, name)
        if value is not None or (data.dates_as_given and name in ("issue_date", "due_date")):
            setattr(document, name, value)
    if data.language is not None and data.language not in LANGUAGES:
        raise InvalidInput.field("language", f"must be one of {', '.join(LANGUAGES)}")
    if data.payment_terms_days is not None:
        document.payment_terms_days = data.payment_terms_days
    if data.buyer_reference is not None:
        document.buyer_reference = _text(data.buyer_reference, 100, "buyer_reference")
    if data.order_reference is not None:
        document.order_reference = _text(data.order_reference, 100, "order_reference")
    if data.payment_iban is not None:
        document.payment_iban = check_iban(data.payment_iban, "payment_iban") if data.payment_iban else None
    if data.payment_bic is not None:
        document.payment_bic = check_bic(data.payment_bic, "payment_bic") if data.payment_bic else None
    if data.lines is not None or data.adjustments is not None or data.currency is not None:
        current_lines, current_adjustments = await lines_of(session, document.id)
        lines = data.lines if data.lines is not None else [line_data(line) for line in current_lines]
        adjustments = (
            data.adjustments
            if data.adjustments is not None
            else [adjustment_data(a) for a in current_adjustments]
        )
        _check_shape(DraftInput(lines=lines, adjustments=adjustments), document.currency)
        await write_lines(session, document, lines, adjustments)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, object_type="invoice", object_id=document.id, action="update"
    )
    return document


def line_data(line: StoredLine) -> LineData:
    return LineData(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        vat_category=line.vat_category,
        unit=line.unit,
        discount=line.discount,
        exemption_reason=line.exemption_reason,
    )


def adjustment_data(adjustment: StoredAdjustment) -> AdjustmentData:
    return AdjustmentData(
        amount=adjustment.amount,
        vat_rate=adjustment.vat_rate,
        is_charge=adjustment.is_charge,
        reason=adjustment.reason,
        vat_category=adjustment.vat_category,
    )


def _frozen(document: Document, what: str) -> str:
    if document.kind == "quote":
        return f"quote {document.number or ''} was converted to an invoice and {what}".replace("  ", " ")
    return f"{document.number} is issued and {what}; credit it instead"


async def delete_draft(session: AsyncSession, document_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    """Delete a draft; issued documents are never deleted."""
    document = await get_document(session, document_id, for_update=True)
    if document.state != "draft":
        raise Conflict(_frozen(document, "is never deleted"))
    await session.delete(document)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, object_type="invoice", object_id=document_id, action="delete"
    )


def _address(data: dict[str, Any]) -> AddressSnapshot:
    return AddressSnapshot(
        **{k: data.get(k) for k in ("line1", "line2", "postcode", "city", "region", "country")}
    )


async def snapshot_of(
    session: AsyncSession,
    document: Document,
    *,
    number: str | None,
    settings: InvoicingSettings | None = None,
    rows: Rows | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> InvoiceSnapshot:
    """The document as it would be (or was) issued: seller, buyer, lines and totals, frozen.
    ``issue_date``, ``due_date``: the dates it is being issued with, when not yet on the document."""
    tenant = await session.get_one(Tenant, document.tenant_id)
    customer = await fetch(session, Party, document.customer_id, what="customer")
    settings = settings or await get_settings(session)
    lines, adjustments = rows if rows is not None else await lines_of(session, document.id)
    totals = compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )
    preceding_number = preceding_date = None
    if document.credited_id is not None:
        credited = await get_document(session, document.credited_id)
        preceding_number, preceding_date = credited.number, credited.issue_date
    logo = None
    if settings.logo and settings.logo_type:
        import base64

        logo = f"data:{settings.logo_type};base64,{base64.b64encode(settings.logo).decode()}"
    # An intra-community supply or export, on a line or on a charge, names the delivery (BR-IC-11/12).
    crossing = ("K", "G")
    crosses_border = any(line.vat_category in crossing for line in lines) or any(
        a.vat_category in crossing for a in adjustments
    )
    issue_date = issue_date or document.issue_date or date.today()  # noqa: DTZ011 - previews only
    due_date = due_date or document.due_date or issue_date + timedelta(days=document.payment_terms_days)
    return InvoiceSnapshot(
        kind=document.kind,
        number=number,
        issue_date=issue_date,
        currency=document.currency,
        language=document.language,
        seller=PartySnapshot(
            name=tenant.legal_name or tenant.name,
            address=_address(tenant.address or {}),
            vat_id=tenant.vat_id,
            company_id=tenant.company_id,
            email=tenant.email,
        ),
        buyer=PartySnapshot(
            name=customer.name,
            address=_address(
                {
                    "line1": customer.address_line1,
                    "line2": customer.address_line2,
                    "postcode": customer.postcode,
                    "city": customer.city,
                    "region": customer.region,
                    "country": customer.country,
                }
            ),
            vat_id=customer.vat_id,
            company_id=customer.company_id,
            email=customer.email,
        ),
        lines=tuple(
            LineSnapshot(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                discount=line.discount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                net_amount=totals.line_nets[index],
                exemption_reason=line.exemption_reason,
            )
            for index, line in enumerate(lines)
        ),
        totals=totals,
        adjustments=tuple(
            AdjustmentSnapshot(
                is_charge=a.is_charge,
                amount=a.amount,
                reason=a.reason,
                vat_category=a.vat_category,
                vat_rate=a.vat_rate,
            )
            for a in adjustments
        ),
        due_date=due_date if document.kind == "invoice" else None,
        payment_terms=f"{document.payment_terms_days} days" if document.kind == "invoice" else None,
        buyer_reference=document.buyer_reference,
        order_reference=document.order_reference,
        notes=document.notes or None,
        payment_iban=document.payment_iban or tenant.iban,
        payment_bic=document.payment_bic or tenant.bic,
        payment_reference=number,
        preceding_number=preceding_number,
        preceding_date=preceding_date,
        delivery_date=document.delivery_date or (issue_date if crosses_border else None),
        deliver_to_country=customer.country if crosses_border else None,
        branding=Branding(colour=settings.brand_colour, footer=settings.footer, logo_data_uri=logo),
    )


def check_issuable(snapshot: InvoiceSnapshot) -> None:
    """The EN 16931 rules a person can fix before issuing, named by the field to fix."""
    errors: list[dict[str, str]] = []
    if not snapshot.lines:
        errors.append({"field": "lines", "message": "an invoice needs at least one line (BR-16)"})
    if not snapshot.seller.address.country:
        errors.append(
            {"field": "seller.address.country", "message": "set your co-op's country in its settings (BR-09)"}
        )
    if not snapshot.buyer.address.country:
        errors.append(
            {"field": "customer.address.country", "message": "the customer needs a country (BR-11)"}
        )
    if any(line.vat_category == "S" for line in snapshot.lines) and not snapshot.seller.vat_id:
        errors.append(
            {
                "field": "seller.vat_id",
                "message": "standard-rated lines need your co-op's VAT number in its settings (BR-S-02)",
            }
        )
    errors += validate_lines(
        line_inputs(snapshot.lines),
        adjustment_inputs(snapshot.adjustments),
        seller_vat_id=snapshot.seller.vat_id,
        buyer_vat_id=snapshot.buyer.vat_id,
        currency=snapshot.currency,
    )
    if errors:
        raise InvalidInput(
            "cannot issue: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )


async def issue_document(
    session: AsyncSession,
    document_id: uuid.UUID,
    *,
    today: date,
    actor_id: uuid.UUID | None,
    rows: Rows | None = None,
) -> Document:
    """Issue a draft: check it, give it the next number of its series, freeze it, tell other modules.

    ``rows``: the draft's lines and adjustments when the caller has just written them. The number is
    taken last, once everything else of the transaction is written, by the statement that also writes
    the document's new state, dates and snapshot and the audit entry naming the number, so the series'
    lock is held from that statement to the commit. The frozen snapshot leaves the number
    out: it is the document's ``number`` (``snapshot_from_json``). The draft is locked first, so two
    concurrent issues of one draft give one number and one refusal, never a burnt number.
    """
    # A draft the caller has just written in this transaction is nobody else's to issue yet.
    document = await (
        get_document(session, document_id) if rows is not None else _draft_to_issue(session, document_id)
    )
    if document.state != "draft":
        raise Conflict(f"{document.number or 'this document'} is already issued")
    if document.kind == "quote":
        raise Conflict("a quote is not issued; convert it to an invoice")
    issue_date = document.issue_date or today
    due_date = None
    if document.kind != "credit_note":
        due_date = document.due_date or issue_date + timedelta(days=document.payment_terms_days)
    settings = await get_settings(session)
    draft = await snapshot_of(
        session, document, number=None, settings=settings, rows=rows, issue_date=issue_date, due_date=due_date
    )
    check_issuable(draft)
    await session.flush()  # what else the transaction wrote (a new draft, its lines), before the lock
    pattern = settings.credit_note_pattern if document.kind == "credit_note" else settings.invoice_pattern
    await sequences.assign_number(
        session,
        document,
        Document.number,
        f"invoicing.{document.kind}",
        pattern,
        on=issue_date,
        per_year=settings.number_per_year,
        values={
            "state": "issued",
            "issue_date": issue_date,
            "due_date": due_date,
            "snapshot": snapshot_to_json(draft),
            "issued_at": utcnow(),
        },
        log=audit.Entry(
            actor_id, "invoice", document.id, "issue", {"total_gross": str(document.total_gross)}
        ),
    )
    await events.publish(
        session,
        f"{'credit_note' if document.kind == 'credit_note' else 'invoice'}.issued",
        {
            "document_id": document.id,
            "number": document.number,
            "customer_id": document.customer_id,
            "currency": document.currency,
            "amount_due": document.amount_due,
        },
    )
    return document


async def settle(session: AsyncSession, invoice: Document, amount: Decimal) -> None:
    """Record that ``amount`` of an issued invoice is paid or credited; the state follows from it."""
    invoice.amount_settled = invoice.amount_settled + amount
    was_paid = invoice.state == "paid"
    if invoice.balance <= 0:
        invoice.state = "paid"
    elif invoice.amount_settled > 0:
        invoice.state = "partially_paid"
    else:
        invoice.state = "issued"
    if invoice.state == "paid" and not was_paid:
        await events.publish(
            session,
            "invoice.paid",
            {
                "document_id": invoice.id,
                "number": invoice.number,
                "customer_id": invoice.customer_id,
            },
        )


async def credit_invoice(
    session: AsyncSession,
    invoice_id: uuid.UUID,
    lines: Sequence[LineData] | None,
    *,
    today: date,
    reason: str,
    actor_id: uuid.UUID | None,
) -> Document:
    """Issue a credit note for an issued invoice: all of it (voiding it), or the given lines.

    The credit note settles the invoice's open balance; what exceeds it stays as the customer's credit.
    """
    from modules.invoicing.models import Allocation

    invoice = await get_document(session, invoice_id, for_update=True)  # concurrent credits queue here
    if invoice.kind != "invoice" or invoice.state == "draft":
        raise Conflict("only an issued invoice can be credited; a draft is simply changed or deleted")
    previous = await session.scalars(select(Document).where(Document.credited_id == invoice.id))
    already = sum((d.total_gross for d in previous if d.state != "draft"), Decimal(0))
    if lines is None:
        current, current_adjustments = await lines_of(session, invoice.id)
        lines = [line_data(line) for line in current]
        adjustments = [adjustment_data(a) for a in current_adjustments]
    else:
        adjustments = []
    credit = Document(
        id=uuid.uuid4(),
        kind="credit_note",
        state="draft",
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        language=invoice.language,
        payment_terms_days=0,
        credited_id=invoice.id,
        notes=reason or f"Credit note for {invoice.number}",
        prepaid=Decimal(0),
    )
    session.add(credit)
    written = await write_lines(session, credit, lines, adjustments, fresh=True)
    totals = written.totals
    if totals.gross <= 0:
        raise InvalidInput.field("lines", "a credit note must credit a positive amount")
    if already + totals.gross > invoice.total_gross:
        raise Conflict(
            f"{invoice.number} is {invoice.total_gross} {invoice.currency}; {already} is already credited, "
            f"so at most {invoice.total_gross - already} can be credited"
        )
    await session.flush()
    await issue_document(session, credit.id, today=today, actor_id=actor_id, rows=written.rows)
    applied = min(credit.amount_due, max(invoice.balance, Decimal(0)))
    if applied > 0:
        session.add(Allocation(invoice_id=invoice.id, credit_note_id=credit.id, amount=applied))
        credit.amount_settled = applied
        await settle(session, invoice, applied)
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        action="credit",
        changes={"credit_note": credit.number, "amount": str(totals.gross)},
    )
    return credit
