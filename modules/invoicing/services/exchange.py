"""CSV in and out: invoices and lines for the accountant, customers from a spreadsheet.

Exports are UTF-8 with a header row, comma-separated, amounts as plain decimals with a dot
(``1234.50``), dates as ISO 8601. Text cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``) are prefixed with an apostrophe.

The customer import is all or nothing: every row is checked by the same rules as a party created by
hand, and one bad row stops the import with the row numbers and fields to fix. Rows naming a customer
that exists (same VAT id, or same name) are skipped and reported.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, InvalidInput
from core.identifiers import check_country, check_vat_id
from core.models import Party
from core.money import plain_number
from core.parties import create_party
from core.spreadsheets import CsvWriter
from core.tenants import check_locale
from modules.invoicing.models import Document, Line
from modules.invoicing.services.rounding import document_amount_text
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = [
    "CUSTOMER_COLUMNS",
    "ImportResult",
    "import_customers",
    "invoices_csv",
    "lines_csv",
    "parse_csv",
]

INVOICE_HEADER = (
    "number",
    "kind",
    "state",
    "issue_date",
    "due_date",
    "customer",
    "customer_vat_id",
    "currency",
    "net",
    "vat",
    "gross",
    "paid",
    "balance",
)
LINE_HEADER = (
    "number",
    "kind",
    "issue_date",
    "customer",
    "currency",
    "position",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount",
    "vat_category",
    "vat_rate",
    "net",
)
CUSTOMER_COLUMNS = (
    "name",
    "kind",
    "email",
    "vat_id",
    "company_id",
    "line1",
    "line2",
    "postcode",
    "city",
    "region",
    "country",
    "locale",
)
ADDRESS_COLUMNS = ("line1", "line2", "postcode", "city", "region", "country")
MAX_ROWS = 5000
MAX_BYTES = 1_000_000
_BATCH = 1000


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_statement(
    *, date_from: date | None, date_to: date | None, kind: str | None, include_drafts: bool
) -> Select[Document, str, str | None]:
    """Documents with their customer's name and VAT id, oldest first; quotes only when asked for."""
    statement = select(Document, Party.name, Party.vat_id).join(Party, Party.id == Document.customer_id)
    statement = statement.where(Document.kind == kind if kind else Document.kind != DocumentKind.QUOTE)
    if not include_drafts:
        statement = statement.where(Document.state != DocumentState.DRAFT)
    if date_from:
        statement = statement.where(Document.issue_date >= date_from)
    if date_to:
        statement = statement.where(Document.issue_date <= date_to)
    return statement.order_by(Document.issue_date, Document.number, Document.created_at, Document.id)


async def invoices_csv(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    kind: str | None = None,
    include_drafts: bool = False,
) -> str:
    """One row per document: number, kind, state, dates, customer, currency and its amounts."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(INVOICE_HEADER)
    statement = export_statement(
        date_from=date_from, date_to=date_to, kind=kind, include_drafts=include_drafts
    )
    for document, name, vat_id in (await session.execute(statement)).all():
        currency = document.currency
        writer.writerow(
            (
                document.number or "",
                document.kind,
                document.state,
                _day(document.issue_date),
                _day(document.due_date),
                name or "",
                vat_id or "",
                currency,
                document_amount_text(document.total_net, currency),
                document_amount_text(document.total_vat, currency),
                document_amount_text(document.total_gross, currency),
                document_amount_text(document.amount_settled, currency),
                document_amount_text(document.balance, currency),
            )
        )
    return buffer.getvalue()


async def lines_csv(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    kind: str | None = None,
    include_drafts: bool = False,
) -> str:
    """One row per invoice line, with its document's number, date and customer."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(LINE_HEADER)
    documents = list(
        (
            await session.execute(
                export_statement(
                    date_from=date_from, date_to=date_to, kind=kind, include_drafts=include_drafts
                )
            )
        ).all()
    )
    for start in range(0, len(documents), _BATCH):
        batch = documents[start : start + _BATCH]
        by_document: dict[uuid.UUID, list[Line]] = {}
        lines = await session.scalars(
            select(Line)
            .where(Line.document_id.in_([d.id for d, _, _ in batch]))
            .order_by(Line.document_id, Line.position)
        )
        for line in lines:
            by_document.setdefault(line.document_id, []).append(line)
        for document, name, _ in batch:
            for line in by_document.get(document.id, []):
                writer.writerow(
                    (
                        document.number or "",
                        document.kind,
                        _day(document.issue_date),
                        name or "",
                        document.currency,
                        line.position,
                        line.description or "",
                        plain_number(line.quantity),
                        line.unit,
                        plain_number(line.unit_price),
                        plain_number(line.discount),
                        line.vat_category,
                        plain_number(line.vat_rate),
                        document_amount_text(line.net_amount, document.currency),
                    )
                )
    return buffer.getvalue()


def parse_csv(content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the rows (with their line number in the file, the header being line 1).

    UTF-8 (with or without a byte-order mark); comma, semicolon or tab separated.
    """
    if len(content) > MAX_BYTES:
        raise InvalidInput.field("file", f"at most {MAX_BYTES // 1000} kB per import; split the file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.field("file", "is not UTF-8 text; save the sheet as CSV UTF-8") from None
    if not text.strip():
        raise InvalidInput.field("file", "is empty")
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error as exc:
        raise InvalidInput.field("file", f"is not valid CSV: {exc}") from None
    unknown = [name for name in header if name and name not in CUSTOMER_COLUMNS]
    if unknown:
        raise InvalidInput.field(
            "file", f"unknown columns {unknown}; the columns are {', '.join(CUSTOMER_COLUMNS)}"
        )
    if "name" not in header:
        raise InvalidInput.field("file", "needs a 'name' column")
    if len(set(header)) != len(header):
        raise InvalidInput.field("file", "a column appears twice in the header")
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise InvalidInput.field("file", f"at most {MAX_ROWS} rows per import; split the file")
            if len(cells) > len(header):
                raise InvalidInput(
                    f"row {reader.line_num}: more cells than columns",
                    errors=[{"row": str(reader.line_num), "field": "", "message": "more cells than columns"}],
                )
            rows.append(
                (reader.line_num, {name: cell.strip() for name, cell in zip(header, cells, strict=False)})
            )
    except csv.Error as exc:
        raise InvalidInput.field("file", f"is not valid CSV near line {reader.line_num}: {exc}") from None
    return header, rows


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    skipped: list[dict[str, Any]]


def _values(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"name": row.get("name", ""), "kind": row.get("kind") or "organisation"}
    for simple in ("email", "vat_id", "company_id", "locale"):
        if row.get(simple):
            values[simple] = row[simple]
    address = {name: row[name] for name in ADDRESS_COLUMNS if row.get(name)}
    if address:
        values["address"] = address
    return values


def _vat_key(row: dict[str, str]) -> str | None:
    """The VAT id as it would be stored, or None when it is absent or invalid (reported by the create)."""
    if not row.get("vat_id"):
        return None
    try:
        return check_vat_id(row["vat_id"], check_country(row.get("country")))
    except DomainError:
        return None


async def import_customers(
    session: AsyncSession, rows: Sequence[tuple[int, dict[str, str]]], *, actor_id: uuid.UUID | None
) -> ImportResult:
    """Create the customers of ``rows`` in the caller's transaction, or none: ``InvalidInput`` lists
    every bad row. The caller commits."""
    names: set[str] = set()
    vat_ids: set[str] = set()
    for name, vat_id in (await session.execute(select(Party.name, Party.vat_id))).all():
        names.add(name.strip().casefold())
        if vat_id:
            vat_ids.add(vat_id)
    errors: list[dict[str, str]] = []
    skipped: list[dict[str, Any]] = []
    created = 0
    for line, row in rows:
        name = row.get("name", "").strip()
        vat_key = _vat_key(row)
        if vat_key is not None and vat_key in vat_ids:
            skipped.append({"row": line, "name": name, "reason": f"a customer with VAT id {vat_key} exists"})
            continue
        if name and name.casefold() in names:
            skipped.append({"row": line, "name": name, "reason": "a customer with this name exists"})
            continue
        try:
            if row.get("locale"):
                check_locale(row["locale"])
            async with session.begin_nested():
                party = await create_party(session, _values(row), actor_id=actor_id)
        except InvalidInput as exc:
            for error in exc.errors or [{"field": "", "message": exc.detail}]:
                errors.append(
                    {"row": str(line), "field": error.get("field", ""), "message": error["message"]}
                )
            continue
        created += 1
        names.add(party.name.casefold())
        if party.vat_id:
            vat_ids.add(party.vat_id)
    if errors:
        listed = "; ".join(f"row {e['row']} {e['field']}: {e['message']}" for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise InvalidInput(f"nothing was imported; fix these rows: {listed}{more}", errors=errors)
    return ImportResult(created=created, skipped=skipped)
