"""The invoicing module's declaration, read by the core at start-up."""

from __future__ import annotations

from pathlib import Path

from core.module import DailyJob, Module, NavEntry, Permission
from modules.invoicing.api import INVOICE_CONTROLLERS
from modules.invoicing.cli import invoicing as invoicing_cli
from modules.invoicing.demo import seed_demo
from modules.invoicing.events import PUBLISHED
from modules.invoicing.services.interface import INVOICING
from modules.invoicing.services.recurring import daily_recurring
from modules.invoicing.services.reminders import daily_reminders
from modules.invoicing.web import INVOICE_PAGES
from modules.invoicing.web.dashboard import DASHBOARD_CARDS

HERE = Path(__file__).parent

_STAFF = ("owner", "admin", "bookkeeper")

MODULE = Module(
    name="invoicing",
    title="Invoicing",
    version="0.1.0",
    tables=(
        "invoicing_settings",
        "invoicing_document",
        "invoicing_line",
        "invoicing_adjustment",
        "invoicing_file",
        "invoicing_payment",
        "invoicing_allocation",
        "invoicing_reminder",
        "invoicing_recurring",
    ),
    migrations=HERE / "migrations",
    api=INVOICE_CONTROLLERS,
    publishes=PUBLISHED,
    services=INVOICING,
    cli=invoicing_cli,
    daily_jobs=(DailyJob("recurring", daily_recurring), DailyJob("reminders", daily_reminders)),
    demo=seed_demo,
    templates=HERE / "templates",
    pages=INVOICE_PAGES,
    dashboard=DASHBOARD_CARDS,
    nav=(
        NavEntry("Invoices", "invoices", permission="invoicing.view", order=10),
        NavEntry("My invoices", "invoices", permission="invoicing.own", order=10),
        NavEntry("Reports", "reports", permission="invoicing.view", order=11),
        NavEntry("Invoicing settings", "invoicing/settings", permission="invoicing.settings", order=89),
    ),
    permissions=(
        Permission("invoicing.view", "See every invoice", (*_STAFF, "viewer")),
        Permission("invoicing.own", "See the invoices of the parties one acts for", ("member",)),
        Permission("invoicing.manage", "Write and delete drafts", _STAFF),
        Permission("invoicing.issue", "Issue invoices and credit notes", _STAFF),
        Permission("invoicing.payments", "Record and allocate payments", _STAFF),
        Permission(
            "invoicing.settings", "Change numbering, terms, branding and mail settings", ("owner", "admin")
        ),
    ),
)
