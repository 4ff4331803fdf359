"""Re-checking a tenant's issued e-invoices against the EN 16931 schemas and rules.

For an audit, or after an upgrade of Coopstack or of the official rules: every issued invoice and
credit note is written again from its frozen snapshot as CII and as UBL, and each is checked against
its XSD and its EN 16931 schematron. Nothing is changed; the report lists what fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db.engine import Database
from modules.invoicing.models import Document
from modules.invoicing.services.einvoice import (
    check_cii,
    check_ubl,
    cii_rule_errors,
    facturx_xml,
    ubl_rule_errors,
    ubl_xml,
)
from modules.invoicing.services.snapshots import snapshot_from_json
from modules.invoicing.vocabulary import DocumentKind

__all__ = ["ConformanceReport", "check_issued_einvoices"]

_BATCH = 500


@dataclass
class ConformanceReport:
    checked: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(document number, "CII", "UBL" or "snapshot", what is wrong)."""


async def check_issued_einvoices(database: Database, tenant_id: uuid.UUID) -> ConformanceReport:
    """Every issued invoice and credit note of the tenant, oldest first, checked as CII and UBL."""
    report = ConformanceReport()
    statement = (
        select(Document.number, Document.snapshot)
        .where(
            Document.snapshot.is_not(None),
            Document.kind.in_((DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)),
        )
        .order_by(Document.issued_at, Document.id)
        .execution_options(yield_per=_BATCH)
    )
    async with database.session(write=False, tenant_id=tenant_id) as session:
        rows = await session.stream(statement)
        async for number, raw in rows:
            report.checked += 1
            try:
                snapshot = snapshot_from_json(raw, number=number)
                cii, ubl = facturx_xml(snapshot), ubl_xml(snapshot)
            except Exception as error:  # noqa: BLE001 - a damaged snapshot is reported, the run goes on
                report.failures.append((str(number), "snapshot", f"cannot be read: {error!r}"))
                continue
            for syntax, problems in (
                ("CII", check_cii(cii) + cii_rule_errors(cii)),
                ("UBL", check_ubl(ubl) + ubl_rule_errors(ubl)),
            ):
                report.failures += [(str(number), syntax, problem) for problem in problems]
    return report
