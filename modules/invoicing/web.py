"""The invoicing pages under /t/{tenant}/: the invoice list, the draft editor with live totals, one
invoice with its actions, a customer's account, the reports and the settings.
Members see and download their own invoices."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from modules.invoicing.web_document import DOCUMENT_PAGES
from modules.invoicing.web_editor import EDITOR_PAGES
from modules.invoicing.web_list import LIST_PAGES
from modules.invoicing.web_reports import REPORT_PAGES
from modules.invoicing.web_settings import SETTINGS_PAGES

__all__ = ["INVOICE_PAGES"]

INVOICE_PAGES: list[ControllerRouterHandler] = [
    *LIST_PAGES,
    *EDITOR_PAGES,
    *DOCUMENT_PAGES,
    *REPORT_PAGES,
    *SETTINGS_PAGES,
]
