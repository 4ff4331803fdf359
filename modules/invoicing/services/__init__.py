"""The invoicing rules, by topic; no HTTP here."""
