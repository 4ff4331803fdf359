"""Invoicing: invoices, credit notes, payments, reminders and e-invoices (Factur-X, UBL)."""
