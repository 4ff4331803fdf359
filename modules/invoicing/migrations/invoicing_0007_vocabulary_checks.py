"""the database keeps states, kinds, payment methods, frequencies, file kinds and VAT categories to
their vocabularies (CHECK constraints)

Revision ID: invoicing_0007
Revises: invoicing_0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "invoicing_0007"
down_revision: str | Sequence[str] | None = "invoicing_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision, written out: a migration must not change when the vocabulary does
# (a later value comes with a later migration).
_VAT = ("S", "Z", "E", "AE", "K", "G", "O")
_CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "invoicing_document": {
        "kind": ("invoice", "credit_note", "quote"),
        "state": ("draft", "issued", "partially_paid", "paid", "converted"),
    },
    "invoicing_line": {"vat_category": _VAT},
    "invoicing_adjustment": {"vat_category": _VAT},
    "invoicing_file": {"kind": ("pdf",)},
    "invoicing_payment": {
        "method": ("bank_transfer", "card", "cash", "cheque", "direct_debit", "mutual_credit", "other"),
    },
    "invoicing_recurring": {"frequency": ("monthly", "quarterly", "yearly")},
}


def upgrade() -> None:
    for table, columns in _CHECKS.items():
        # On SQLite the batch copies the table with its constraints (SQLite cannot add one in place).
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), f"{column} IN ({', '.join(repr(v) for v in values)})"
                )


def downgrade() -> None:
    for table, columns in _CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
