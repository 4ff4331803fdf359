"""The invoicing pages under /t/{tenant}/: the invoice list, the draft editor with live totals, one
invoice with its actions, a customer's account, the reports and the settings.
Members see and download their own invoices."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from modules.invoicing.web.credit_notes import CREDIT_PAGES
from modules.invoicing.web.customers import CUSTOMER_PAGES
from modules.invoicing.web.documents import DOCUMENT_PAGES
from modules.invoicing.web.editor import EDITOR_PAGES
from modules.invoicing.web.invoice_list import LIST_PAGES
from modules.invoicing.web.reports import REPORT_PAGES
from modules.invoicing.web.settings import SETTINGS_PAGES

__all__ = ["INVOICE_PAGES"]

INVOICE_PAGES: list[ControllerRouterHandler] = [
    *LIST_PAGES,
    *CUSTOMER_PAGES,
    *EDITOR_PAGES,
    *DOCUMENT_PAGES,
    *CREDIT_PAGES,
    *REPORT_PAGES,
    *SETTINGS_PAGES,
]
