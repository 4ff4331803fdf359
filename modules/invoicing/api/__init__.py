"""Invoicing's API under /api/v1/tenants/{tenant}: controllers by topic, collected for the module."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from modules.invoicing.api.customers import CustomerAccountController
from modules.invoicing.api.documents import InvoiceController
from modules.invoicing.api.exchange import ExchangeController
from modules.invoicing.api.payments import PaymentController
from modules.invoicing.api.quotes import QuoteController
from modules.invoicing.api.recurring import RecurringController
from modules.invoicing.api.reminders import InvoiceReminderController, ReminderController
from modules.invoicing.api.reports import ReportController
from modules.invoicing.api.sending import SendingController
from modules.invoicing.api.settings import SettingsController

__all__ = ["INVOICE_CONTROLLERS"]

INVOICE_CONTROLLERS: list[ControllerRouterHandler] = [
    InvoiceController,
    QuoteController,
    SendingController,
    InvoiceReminderController,
    RecurringController,
    ExchangeController,
    SettingsController,
    PaymentController,
    CustomerAccountController,
    ReminderController,
    ReportController,
]
