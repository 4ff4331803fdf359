"""The editor's form: reading it (rows as ``lines[0].quantity``…), the totals of what it holds, the
draft it describes with every field's error, and a saved draft back as a form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from core.errors import InvalidInput
from core.money import plain_number
from core.tenants import check_currency
from core.web.shell import field_errors
from modules.invoicing.models import Document
from modules.invoicing.services.default_vat import VatDefault
from modules.invoicing.services.drafts import DraftInput
from modules.invoicing.services.languages import LANGUAGES
from modules.invoicing.services.line_checks import validate_lines
from modules.invoicing.services.lines import (
    MAX_LINES,
    AdjustmentData,
    LineData,
    StoredAdjustment,
    StoredLine,
    adjustment_inputs,
    line_inputs,
    parse_adjustment,
    parse_line,
)
from modules.invoicing.services.totals import Totals, compute_totals
from modules.invoicing.web.layout import parse_date

__all__ = [
    "EditorForm",
    "LiveTotals",
    "apply_op",
    "blank_line",
    "draft_input",
    "form_of",
    "label",
    "live_totals",
    "read_editor",
]

_SCALARS = (
    "customer_id",
    "currency",
    "issue_date",
    "due_date",
    "payment_terms_days",
    "buyer_reference",
    "order_reference",
    "notes",
    "language",
    "op",
)
_ROW = re.compile(r"^(lines|adjustments)\[(\d{1,4})\]\.([a-z_]{1,20})$")
_SCALAR_LIMITS = {"buyer_reference": 100, "order_reference": 100, "notes": 5000}


@dataclass(slots=True)
class EditorForm:
    """The editor's fields as typed."""

    values: dict[str, str]
    lines: list[dict[str, str]]
    adjustments: list[dict[str, str]] = field(default_factory=list)

    @property
    def op(self) -> str:
        return self.values.get("op", "")


@dataclass(frozen=True, slots=True)
class LiveTotals:
    """The totals of what the form holds, or why some lines are left out of them."""

    currency: str
    totals: Totals | None
    nets: dict[int, str]
    """Each computed row's net amount, by its row number in the form."""
    messages: list[str]
    row_count: int
    errors: dict[str, str] = field(default_factory=dict)
    """What stops each line being counted, by the field's name (shown beside the field)."""


def blank_line(previous: dict[str, str] | None = None, default: VatDefault | None = None) -> dict[str, str]:
    """An empty row; it takes the VAT rate and category of the row above, the usual case, and the
    first row the co-op's default VAT (its settings)."""
    category, rate = (default.category, default.rate_text) if default else ("S", "")
    return {
        "description": "",
        "quantity": "1",
        "unit": "C62",
        "unit_price": "",
        "discount": "",
        "vat_category": (previous or {}).get("vat_category", category),
        "vat_rate": (previous or {}).get("vat_rate", rate),
        "exemption_reason": "",
    }


def _is_blank(row: dict[str, str]) -> bool:
    return not row.get("description") and not row.get("unit_price")


async def read_editor(request: Request[Any, Any, Any]) -> EditorForm:
    """The submitted editor: its scalar fields and its rows, in the order shown."""
    form = await request.form()
    values: dict[str, str] = {}
    rows: dict[str, dict[int, dict[str, str]]] = {"lines": {}, "adjustments": {}}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        match = _ROW.match(key)
        if match:
            rows[match[1]].setdefault(int(match[2]), {})[match[3]] = value.strip()
        elif key in _SCALARS:
            values[key] = value.strip()
    return EditorForm(
        values=values,
        lines=[rows["lines"][i] for i in sorted(rows["lines"])],
        adjustments=[rows["adjustments"][i] for i in sorted(rows["adjustments"])],
    )


def _number(raw: str) -> str:
    """A number as people type it: ``10,50`` is ``10.50``, ``20 %`` is ``20``, spaces are grouping."""
    text = raw.replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return text


def _discount(raw: str) -> str:
    """A discount as typed, read like any number but keeping its percent sign: ``10 %`` is ``10%``,
    ``7,5%`` is ``7.5%``, ``10,00`` is ``10.00``."""
    text = raw.replace("\u00a0", "").replace(" ", "")
    return _number(text) + "%" if text.endswith("%") else _number(text)


def parse_rows(
    rows: list[dict[str, str]], currency: str | None
) -> tuple[list[LineData], list[int], dict[str, str]]:
    """The filled-in rows as lines, the row number of each, and the errors of each field by its name."""
    lines: list[LineData] = []
    kept: list[int] = []
    errors: dict[str, str] = {}
    for index, row in enumerate(rows):
        if _is_blank(row):
            continue
        missing = [name for name in ("quantity", "unit_price", "vat_rate") if not row.get(name)]
        for name in missing:
            errors[f"lines[{index}].{name}"] = "is required"
        if not row.get("description"):
            errors[f"lines[{index}].description"] = "must not be empty"
        if missing or not row.get("description"):
            continue
        raw: dict[str, Any] = {**row}
        for name in ("quantity", "unit_price", "vat_rate"):
            raw[name] = _number(row.get(name, ""))
        raw["discount"] = _discount(row.get("discount", ""))
        try:
            lines.append(parse_line(raw, index, currency=currency))
        except InvalidInput as exc:
            errors.update(field_errors(exc))
            continue
        kept.append(index)
    problems = validate_lines(
        line_inputs(lines),
        [],
        seller_vat_id="checked at issue",
        buyer_vat_id="checked at issue",
        currency=currency,
    )
    for problem in problems:
        name = problem["field"]
        match = re.match(r"^lines\[(\d+)\]", name)
        if match:
            name = f"lines[{kept[int(match[1])]}]" + name[match.end() :]
        errors.setdefault(name, problem["message"])
    bad = {int(m[1]) for name in errors if (m := re.match(r"^lines\[(\d+)\]", name))}
    pairs = [(line, index) for line, index in zip(lines, kept, strict=True) if index not in bad]
    return [line for line, _ in pairs], [index for _, index in pairs], errors


def parse_adjustments(rows: list[dict[str, str]]) -> tuple[list[AdjustmentData], dict[str, str]]:
    """The document's allowances and charges, carried through the form unchanged."""
    found: list[AdjustmentData] = []
    errors: dict[str, str] = {}
    for index, row in enumerate(rows):
        try:
            found.append(parse_adjustment({**row, "is_charge": row.get("is_charge") == "yes"}, index))
        except InvalidInput as exc:
            errors.update(field_errors(exc))
    return found, errors


def label(name: str) -> str:
    """A field's name as the page calls it: ``lines[1].unit_price`` is "Line 2, unit price"."""
    match = re.match(r"^(lines|adjustments)\[(\d+)\]\.?(.*)$", name)
    if match:
        what = "Line" if match[1] == "lines" else "Discount or charge"
        return f"{what} {int(match[2]) + 1}, {match[3].replace('_', ' ') or 'amount'}"
    return name.replace("_id", "").replace("_", " ").capitalize()


def live_totals(form: EditorForm, fallback_currency: str) -> LiveTotals:
    """Totals of the filled-in, valid rows, by the one calculation engine; nothing is saved."""
    messages: list[str] = []
    currency = form.values.get("currency") or fallback_currency
    try:
        currency = check_currency(currency)
    except InvalidInput as exc:
        messages.append(f"Currency: {exc.errors[0]['message']}; totals are shown in {fallback_currency}")
        currency = fallback_currency
    lines, kept, errors = parse_rows(form.lines, currency)
    adjustments, adjustment_errors = parse_adjustments(form.adjustments)
    errors.update(adjustment_errors)
    messages += [f"{label(name)}: {message}" for name, message in errors.items()]
    left_out = sorted({int(m[1]) + 1 for name in errors if (m := re.match(r"^lines\[(\d+)\]", name))})
    if left_out:
        which = ", ".join(str(n) for n in left_out)
        messages.append(
            f"The totals leave out line {which} until it is corrected."
            if len(left_out) == 1
            else f"The totals leave out lines {which} until they are corrected."
        )
    totals = None
    try:
        totals = compute_totals(
            line_inputs(lines),
            adjustment_inputs(adjustments),
            currency=currency,
        )
    except InvalidInput as exc:
        messages.append(exc.detail)
    nets = dict(zip(kept, totals.line_nets, strict=True)) if totals else {}
    return LiveTotals(
        currency=currency,
        totals=totals,
        nets={index: str(net) for index, net in nets.items()},
        messages=messages,
        row_count=len(form.lines),
        errors=errors,
    )


def draft_input(form: EditorForm) -> tuple[DraftInput | None, dict[str, str]]:
    """The draft the form describes, or the errors of every field that stops it."""
    values = form.values
    errors: dict[str, str] = {}
    customer_id = None
    if not values.get("customer_id"):
        errors["customer_id"] = "choose a customer"
    else:
        try:
            customer_id = uuid.UUID(values["customer_id"])
        except ValueError:
            errors["customer_id"] = "is not a customer"
    currency = None
    try:
        currency = check_currency(values.get("currency") or "")
    except InvalidInput as exc:
        errors["currency"] = exc.errors[0]["message"] if values.get("currency") else "is required"
    issue_date = parse_date(values.get("issue_date", ""), "issue_date", errors)
    due_date = parse_date(values.get("due_date", ""), "due_date", errors)
    if issue_date and due_date and due_date < issue_date:
        errors["due_date"] = "must not be before the issue date"
    terms = None
    if values.get("payment_terms_days"):
        try:
            terms = int(values["payment_terms_days"])
        except ValueError:
            errors["payment_terms_days"] = "is not a whole number of days"
        else:
            if not 0 <= terms <= 365:
                errors["payment_terms_days"] = "must be between 0 and 365"
    for name, limit in _SCALAR_LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors[name] = f"must be at most {limit} characters"
    language = values.get("language") or None
    if language is not None and language not in LANGUAGES:
        errors["language"] = "is not a language invoices are written in"
    lines, _, line_errors = parse_rows(form.lines, currency)
    if len(lines) > MAX_LINES:
        errors["lines"] = f"at most {MAX_LINES} lines per document"
    adjustments, adjustment_errors = parse_adjustments(form.adjustments)
    errors.update(line_errors)
    errors.update(adjustment_errors)
    if errors:
        return None, errors
    return (
        DraftInput(
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            adjustments=adjustments,
            issue_date=issue_date,
            payment_terms_days=terms,
            due_date=due_date,
            buyer_reference=values.get("buyer_reference", ""),
            order_reference=values.get("order_reference", ""),
            notes=values.get("notes", ""),
            language=language,
        ),
        {},
    )


def apply_op(form: EditorForm, default: VatDefault | None = None) -> bool:
    """Add or remove a row as asked ("add", "remove:<row>"), or recalculate ("recalculate": the
    form's default button, what Enter does without JavaScript); whether the form asked for one."""
    op = form.op
    if op == "recalculate":
        return True
    if op == "add":
        form.lines.append(blank_line(form.lines[-1] if form.lines else None, default))
        return True
    if op.startswith("remove:"):
        try:
            index = int(op.removeprefix("remove:"))
        except ValueError:
            return True
        if 0 <= index < len(form.lines):
            del form.lines[index]
        return True
    return False


def form_of(
    document: Document, lines: Sequence[StoredLine], adjustments: Sequence[StoredAdjustment]
) -> EditorForm:
    values = {
        "customer_id": str(document.customer_id),
        "currency": document.currency,
        "issue_date": document.issue_date.isoformat() if document.issue_date else "",
        "due_date": document.due_date.isoformat() if document.due_date else "",
        "payment_terms_days": str(document.payment_terms_days),
        "buyer_reference": document.buyer_reference or "",
        "order_reference": document.order_reference or "",
        "notes": document.notes or "",
        "language": document.language,
    }
    rows = [
        {
            "description": line.description,
            "quantity": plain_number(line.quantity),
            "unit": line.unit,
            "unit_price": plain_number(line.unit_price),
            "discount": plain_number(line.discount) if line.discount else "",
            "vat_category": line.vat_category,
            "vat_rate": plain_number(line.vat_rate),
            "exemption_reason": line.exemption_reason or "",
        }
        for line in lines
    ]
    kept = [
        {
            "amount": plain_number(a.amount),
            "vat_rate": plain_number(a.vat_rate),
            "is_charge": "yes" if a.is_charge else "",
            "reason": a.reason,
            "vat_category": a.vat_category,
        }
        for a in adjustments
    ]
    return EditorForm(values=values, lines=rows, adjustments=kept)
