"""E-invoices: the EN 16931 content of an issued document in its two syntaxes, and their checks.

- ``facturx_xml``: UN/CEFACT CII D16B, Factur-X EN 16931 profile (embedded in the PDF as ``factur-x.xml``);
- ``ubl_xml``: UBL 2.1 Invoice or CreditNote, Peppol BIS Billing 3.0;
- ``check_cii`` / ``check_ubl``: offline XSD validation, schemas parsed once per process;
- ``cii_rule_errors`` / ``ubl_rule_errors``: the EN 16931 business rules (the official schematrons).
"""

from modules.invoicing.errors import IssuedOnly
from modules.invoicing.services.einvoice.cii import (
    FACTURX_FILENAME,
    FACTURX_GUIDELINE,
    FACTURX_LEVEL,
    facturx_xml,
)
from modules.invoicing.services.einvoice.rules import cii_rule_errors, ubl_rule_errors
from modules.invoicing.services.einvoice.ubl import CUSTOMIZATION_ID, PROFILE_ID, ubl_xml
from modules.invoicing.services.einvoice.validate import check_cii, check_ubl

__all__ = [
    "CUSTOMIZATION_ID",
    "FACTURX_FILENAME",
    "FACTURX_GUIDELINE",
    "FACTURX_LEVEL",
    "PROFILE_ID",
    "IssuedOnly",
    "check_cii",
    "check_ubl",
    "cii_rule_errors",
    "facturx_xml",
    "ubl_rule_errors",
    "ubl_xml",
]
