"""Invoice and credit note PDFs, from an ``InvoiceSnapshot``.

An issued document is rendered as a Factur-X PDF: PDF/A-3b with its EN 16931 CII XML embedded as
``factur-x.xml`` and the XMP metadata that declares it. A draft is rendered as a plain PDF that says
DRAFT on every page. Labels speak the snapshot's language; amounts, numbers and dates are formatted
by Babel for it.

One ``DocumentRenderer`` serves the whole process (fonts and the parsed stylesheet are reused), so
every render after the first skips font set-up and CSS parsing. The template names nothing but
``data:`` URLs (the tenant's logo) and its own stylesheet: a PDF never makes a request.

Attachment relationship: the Factur-X specification asks for ``/Data`` with the MINIMUM and BASIC WL
profiles, whose XML is not a complete invoice, and allows ``/Alternative`` (or ``/Source``) for
BASIC, EN 16931 and EXTENDED. Our XML carries the whole EN 16931 content, so it is an equivalent
representation of the invoice: ``/Alternative``, as ZUGFeRD 2 readers and drafthorse also expect.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import weasyprint
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from markupsafe import Markup

from core.documents import DocumentRenderer
from core.money import minor_unit
from modules.invoicing.services.einvoice import FACTURX_FILENAME, FACTURX_LEVEL, IssuedOnly, facturx_xml
from modules.invoicing.services.einvoice.content import exemption_reason
from modules.invoicing.services.languages import category_name, labels_for, language_of, unit_label
from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.snapshots import AddressSnapshot, InvoiceSnapshot, PartySnapshot

__all__ = [
    "FACTURX_RELATIONSHIP",
    "TEMPLATES_DIR",
    "invoice_context",
    "invoice_html",
    "invoice_renderer",
    "render_invoice_pdf",
    "render_invoice_pdf_async",
]

TEMPLATES_DIR = Path(__file__).parent.parent / "templates" / "documents"
TEMPLATE = "invoice.html"
STYLESHEET = "assets/invoice.css"
FACTURX_RELATIONSHIP = "Alternative"
"""AFRelationship of ``factur-x.xml`` for the EN 16931 profile (see the module docstring)."""

_DEFAULT_COLOUR = "#1b5e3b"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_LOGO = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+")
_IMAGE_CACHE: dict[str, Any] = {}
"""Decoded images (tenants' logos), shared by renders as WeasyPrint's ``cache`` option."""
_IMAGE_CACHE_LIMIT = 64

_FACTURX_XMP = f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>{FACTURX_LEVEL}</fx:ConformanceLevel>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name>
<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>
<pdfaProperty:description>name of the embedded XML invoice file</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name>
<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>
<pdfaProperty:description>INVOICE</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name>
<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>
<pdfaProperty:description>The actual version of the Factur-X XML schema</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name>
<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>
<pdfaProperty:description>The conformance level of the embedded Factur-X data</pdfaProperty:description>
</rdf:li>
</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
</rdf:RDF>""".encode()
"""The Factur-X XMP properties and their PDF/A extension schema (Factur-X 1.0 specification, annex)."""


@cache
def invoice_renderer() -> DocumentRenderer:
    """The process's renderer for invoice documents (made once, then reused for every PDF)."""
    return DocumentRenderer(TEMPLATES_DIR, stylesheets=[STYLESHEET])


class _Formats:
    """Babel formatting for one document's language and currency."""

    def __init__(self, language: str, currency: str) -> None:
        self.locale = language
        self.currency = currency
        self.places = document_places(currency)
        self.minor_unit = minor_unit(currency)
        pattern = Locale.parse(language).percent_formats[None].pattern
        self.percent_pattern = pattern.replace("#,##0", "#,##0.##", 1)

    def money(self, amount: Decimal) -> str:
        if self.places == self.minor_unit:
            return str(format_currency(amount, self.currency, locale=self.locale))
        # Currencies with three or four decimals are shown with the document's two (BR-DEC).
        return str(format_currency(amount, self.currency, locale=self.locale, currency_digits=False))

    def number(self, value: Decimal) -> str:
        return str(format_decimal(value, locale=self.locale, decimal_quantization=False))

    def rate(self, value: Decimal) -> str:
        return str(format_percent(value / 100, self.percent_pattern, locale=self.locale))

    def date(self, value: Any) -> str:
        return str(format_date(value, format="long", locale=self.locale))


def _address_lines(address: AddressSnapshot) -> list[str]:
    town = " ".join(part for part in (address.postcode, address.city) if part)
    lines = [address.line1, address.line2, town, address.region]
    if address.country:
        lines.append(address.country)
    return [line for line in lines if line]


def _party(party: PartySnapshot) -> dict[str, Any]:
    return {
        "name": party.name,
        "address": _address_lines(party.address),
        "vat_id": party.vat_id,
        "company_id": party.company_id,
        "email": party.email,
    }


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,-/" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def _head_css(words: Mapping[str, str], colour: str) -> Markup:
    counter = (
        f"{_css_string(words['page'] + ' ')} counter(page) "
        f"{_css_string(' ' + words['page_of'] + ' ')} counter(pages)"
    )
    css = (
        f"@page {{ @bottom-right {{ content: {counter}; }} }}\n"
        f".brand {{ color: {colour}; }} .brand-border {{ border-color: {colour}; }}\n"
        f"table.totals tr.due th, table.totals tr.due td {{ background: {colour}; }}"
    )
    return Markup(css)  # built here from validated values only  # noqa: S704


def invoice_context(snapshot: InvoiceSnapshot) -> dict[str, Any]:
    """What the invoice template shows, every value already formatted for the document's language."""
    language = language_of(snapshot.language)
    words = labels_for(language)
    fmt = _Formats(language, snapshot.currency)
    totals = snapshot.totals
    is_credit_note = snapshot.kind == "credit_note"
    branding = snapshot.branding
    colour = branding.colour if _COLOUR.fullmatch(branding.colour or "") else _DEFAULT_COLOUR
    logo = (
        branding.logo_data_uri if branding.logo_data_uri and _LOGO.fullmatch(branding.logo_data_uri) else None
    )

    meta: list[tuple[str, str]] = []
    if snapshot.number:
        meta.append((words["number"], snapshot.number))
    meta.append((words["issue_date"], fmt.date(snapshot.issue_date)))
    if snapshot.due_date:
        meta.append((words["due_date"], fmt.date(snapshot.due_date)))
    if snapshot.buyer_reference:
        meta.append((words["buyer_reference"], snapshot.buyer_reference))
    if snapshot.order_reference:
        meta.append((words["order_reference"], snapshot.order_reference))
    if snapshot.preceding_number:
        corrected = snapshot.preceding_number
        if snapshot.preceding_date:
            corrected += f" {words['of_date']} {fmt.date(snapshot.preceding_date)}"
        meta.append((words["corrects"], corrected))
    if snapshot.payment_terms:
        meta.append((words["payment_terms"], snapshot.payment_terms))

    lines = [
        {
            "position": line.position,
            "description": line.description,
            "quantity": fmt.number(line.quantity),
            "unit": unit_label(line.unit, language),
            "unit_price": fmt.money(line.unit_price),
            "discount": fmt.money(line.discount) if line.discount else "",
            "vat_rate": fmt.rate(line.vat_rate) if line.vat_category != "O" else "\N{EN DASH}",
            "net": fmt.money(net),
        }
        for line, net in zip(snapshot.lines, totals.line_nets, strict=True)
    ]
    adjustments = [
        {
            "kind": words["charge" if adjustment.is_charge else "allowance"],
            "reason": adjustment.reason,
            "vat_rate": fmt.rate(adjustment.vat_rate),
            "amount": fmt.money(adjustment.amount if adjustment.is_charge else -adjustment.amount),
        }
        for adjustment in snapshot.adjustments
    ]
    # A reason a line states (a legal mention) is printed; the category's name says the rest.
    stated_reasons = {(line.vat_category, line.vat_rate) for line in snapshot.lines if line.exemption_reason}
    breakdown = [
        {
            "category": category_name(
                group.category, language, rate=group.rate, country=snapshot.seller.address.country
            ),
            "reason": exemption_reason(group) if (group.category, group.rate) in stated_reasons else None,
            "rate": fmt.rate(group.rate) if group.category != "O" else "\N{EN DASH}",
            "taxable": fmt.money(group.taxable),
            "tax": fmt.money(group.tax),
        }
        for group in totals.breakdown
    ]
    rows: list[dict[str, str]] = [
        {"label": words["sum_lines"], "value": fmt.money(totals.sum_lines), "style": ""}
    ]
    if totals.allowances:
        rows.append({"label": words["allowances_total"], "value": fmt.money(-totals.allowances), "style": ""})
    if totals.charges:
        rows.append({"label": words["charges_total"], "value": fmt.money(totals.charges), "style": ""})
    rows.append({"label": words["net_total"], "value": fmt.money(totals.net), "style": "strong"})
    rows.append({"label": words["vat_total"], "value": fmt.money(totals.vat), "style": ""})
    rows.append({"label": words["gross_total"], "value": fmt.money(totals.gross), "style": "strong"})
    if totals.prepaid:
        rows.append({"label": words["prepaid"], "value": fmt.money(-totals.prepaid), "style": ""})
    if totals.rounding:
        rows.append({"label": words["rounding"], "value": fmt.money(totals.rounding), "style": ""})
    due_label = words["refund_due" if is_credit_note else "amount_due"]
    rows.append({"label": due_label, "value": fmt.money(totals.due), "style": "due"})

    payment: list[tuple[str, str]] = []
    if snapshot.payment_iban and not is_credit_note:
        payment.append((words["iban"], _grouped(snapshot.payment_iban)))
        if snapshot.payment_bic:
            payment.append((words["bic"], snapshot.payment_bic))
        reference = snapshot.payment_reference or snapshot.number
        if reference:
            payment.append((words["payment_reference"], reference))

    return {
        "lang": language,
        "words": words,
        "title": words["credit_note" if is_credit_note else "invoice"],
        "number": snapshot.number,
        "is_draft": snapshot.is_draft,
        "seller": _party(snapshot.seller),
        "buyer": _party(snapshot.buyer),
        "meta": meta,
        "lines": lines,
        "has_discounts": any(line.discount for line in snapshot.lines),
        "adjustments": adjustments,
        "breakdown": breakdown,
        "totals": rows,
        "payment": payment,
        "notes": snapshot.notes,
        "footer": branding.footer,
        "logo": logo,
        "head_css": _head_css(words, colour),
    }


def _grouped(iban: str) -> str:
    """An IBAN in groups of four, as printed for people."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def invoice_html(snapshot: InvoiceSnapshot) -> str:
    """The HTML of the document's PDF (for previews and for tests)."""
    return invoice_renderer().render_html(TEMPLATE, invoice_context(snapshot))


def _single_associated_files(document: Any, pdf: Any) -> None:
    """List each embedded file once in the catalog's ``/AF`` (WeasyPrint 70 adds it twice)."""
    files = pdf.catalog.get("AF")
    if files is not None:
        unique = list(dict.fromkeys(files))
        files.clear()
        files.extend(unique)


def _pdf_options(snapshot: InvoiceSnapshot, *, facturx: bool) -> dict[str, Any]:
    if len(_IMAGE_CACHE) > _IMAGE_CACHE_LIMIT:
        _IMAGE_CACHE.clear()
    options: dict[str, Any] = {"cache": _IMAGE_CACHE}
    if not facturx:
        return options
    if snapshot.is_draft:
        raise IssuedOnly()
    stamp = datetime.combine(snapshot.issue_date, time(), tzinfo=UTC)
    attachment = weasyprint.Attachment(
        string=facturx_xml(snapshot),
        name=FACTURX_FILENAME,
        description=f"Factur-X {FACTURX_LEVEL} invoice",
        relationship=FACTURX_RELATIONSHIP,
        created=stamp,
        modified=stamp,
        url_fetcher=invoice_renderer().fetcher,
    )
    options.update(
        finisher=_single_associated_files,
        pdf_variant="pdf/a-3b",
        attachments=[attachment],
        xmp_metadata=[io.BytesIO(_FACTURX_XMP)],  # a file object: read as is, never fetched
    )
    return options


def render_invoice_pdf(snapshot: InvoiceSnapshot, *, facturx: bool) -> bytes:
    """The PDF of an invoice or credit note; with ``facturx``, a Factur-X PDF/A-3b (issued documents only)."""
    options = _pdf_options(snapshot, facturx=facturx)
    renderer = invoice_renderer()
    return renderer.render_pdf(TEMPLATE, invoice_context(snapshot), pdf_options=options)


async def render_invoice_pdf_async(snapshot: InvoiceSnapshot, *, facturx: bool) -> bytes:
    """``render_invoice_pdf`` in a worker thread, leaving the event loop free while the PDF is laid out."""
    options = _pdf_options(snapshot, facturx=facturx)
    renderer = invoice_renderer()
    return await renderer.render_pdf_async(TEMPLATE, invoice_context(snapshot), pdf_options=options)
