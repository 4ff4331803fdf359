"""Invoicing's request and response shapes, by topic. Amounts travel as decimal strings, never floats."""
