"""UBL 2.1 e-invoices in the Peppol BIS Billing 3.0 shape: an ``Invoice``, or a ``CreditNote`` for
credit notes, with the same content as the Factur-X CII XML.

The element order follows the UBL 2.1 XSDs; business terms (BT-n) are named where they are written.
The same snapshot always gives the same bytes.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from core.text import carriable
from modules.invoicing.errors import IssuedOnly
from modules.invoicing.services.einvoice.content import (
    RATELESS_CATEGORIES,
    exemption_code,
    exemption_reason,
    iso_date,
    payment_means_code,
    payment_reference,
    price_text,
    quantity_text,
    rate_text,
    states_vat_numbers,
)
from modules.invoicing.services.languages import labels_for
from modules.invoicing.services.rounding import document_amount_text
from modules.invoicing.services.snapshots import InvoiceSnapshot, PartySnapshot

__all__ = ["CUSTOMIZATION_ID", "PROFILE_ID", "ubl_xml"]

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
"""BT-24 of Peppol BIS Billing 3.0."""
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
"""BT-23: the Peppol billing process."""

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_ROOTS = {
    "invoice": ("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "Invoice"),
    "credit_note": ("urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "CreditNote"),
}
_PREFIXES = {"cac": CAC, "cbc": CBC}

_VAT_SCHEMES = {
    "AT": "9914",
    "BE": "9925",
    "DE": "9930",
    "ES": "9920",
    "FR": "9957",
    "IE": "9935",
    "IT": "0211",
    "LU": "9938",
    "NL": "9944",
    "PT": "9946",
}
"""Electronic address schemes (CEF EAS code list) for VAT numbers, by country prefix."""


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{_PREFIXES[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = carriable(text)
    return element


def _endpoint(party: PartySnapshot) -> tuple[str, str] | None:
    """BT-34 / BT-49 (Peppol R010/R020): the VAT number in its EAS scheme, else the e-mail address."""
    if party.vat_id and party.vat_id[:2].upper() in _VAT_SCHEMES:
        return _VAT_SCHEMES[party.vat_id[:2].upper()], party.vat_id
    if party.email:
        return "EM", party.email
    return None


def _party(parent: etree._Element, tag: str, party: PartySnapshot, *, vat_number: bool) -> None:
    holder = _el(parent, tag)
    element = _el(holder, "cac:Party")
    endpoint = _endpoint(party)
    if endpoint:
        _el(element, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    address = party.address
    postal = _el(element, "cac:PostalAddress")  # BG-5 / BG-8
    if address.line1:
        _el(postal, "cbc:StreetName", address.line1)
    if address.line2:
        _el(postal, "cbc:AdditionalStreetName", address.line2)
    if address.city:
        _el(postal, "cbc:CityName", address.city)
    if address.postcode:
        _el(postal, "cbc:PostalZone", address.postcode)
    if address.region:
        _el(postal, "cbc:CountrySubentity", address.region)
    country = _el(postal, "cac:Country")
    _el(country, "cbc:IdentificationCode", address.country or "")  # BT-40 / BT-55
    if party.vat_id and vat_number:
        tax_scheme = _el(element, "cac:PartyTaxScheme")
        _el(tax_scheme, "cbc:CompanyID", party.vat_id)  # BT-31 / BT-48
        _el(_el(tax_scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(element, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)  # BT-27 / BT-44
    if party.company_id:
        _el(legal, "cbc:CompanyID", party.company_id)  # BT-30 / BT-47
    if party.email:
        contact = _el(element, "cac:Contact")
        _el(contact, "cbc:ElectronicMail", party.email)


def _tax_category(parent: etree._Element, tag: str, category: str, rate: Decimal) -> etree._Element:
    element = _el(parent, tag)
    _el(element, "cbc:ID", category)
    if category not in RATELESS_CATEGORIES:
        _el(element, "cbc:Percent", rate_text(rate))
    return element


def ubl_xml(snapshot: InvoiceSnapshot) -> bytes:
    """The UBL 2.1 XML (Peppol BIS Billing 3.0) of an issued invoice or credit note, UTF-8 encoded."""
    if snapshot.number is None:
        raise IssuedOnly()
    currency = snapshot.currency
    totals = snapshot.totals
    words = labels_for(snapshot.language)
    is_credit_note = snapshot.kind == "credit_note"
    namespace, root_name = _ROOTS["credit_note" if is_credit_note else "invoice"]

    def money(parent: etree._Element, tag: str, value: Decimal) -> None:
        _el(parent, tag, document_amount_text(value, currency), currencyID=currency)

    nsmap = {None: namespace, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap=nsmap)  # type: ignore[arg-type]  # None: default ns
    _el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)  # BT-24
    _el(root, "cbc:ProfileID", PROFILE_ID)  # BT-23
    _el(root, "cbc:ID", snapshot.number)  # BT-1
    _el(root, "cbc:IssueDate", iso_date(snapshot.issue_date))  # BT-2
    if snapshot.due_date and not is_credit_note:
        _el(root, "cbc:DueDate", iso_date(snapshot.due_date))  # BT-9
    _el(root, "cbc:CreditNoteTypeCode" if is_credit_note else "cbc:InvoiceTypeCode", snapshot.type_code)
    if snapshot.notes:
        _el(root, "cbc:Note", snapshot.notes)  # BT-22
    _el(root, "cbc:DocumentCurrencyCode", currency)  # BT-5
    if snapshot.buyer_reference:
        _el(root, "cbc:BuyerReference", snapshot.buyer_reference)  # BT-10
    if snapshot.order_reference:
        _el(_el(root, "cac:OrderReference"), "cbc:ID", snapshot.order_reference)  # BT-13
    if snapshot.preceding_number:  # BG-3
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", snapshot.preceding_number)  # BT-25
        if snapshot.preceding_date:
            _el(reference, "cbc:IssueDate", iso_date(snapshot.preceding_date))  # BT-26
    vat_numbers = states_vat_numbers(snapshot)
    _party(root, "cac:AccountingSupplierParty", snapshot.seller, vat_number=vat_numbers)
    _party(root, "cac:AccountingCustomerParty", snapshot.buyer, vat_number=vat_numbers)

    if snapshot.delivery_date or snapshot.deliver_to_country:
        delivery = _el(root, "cac:Delivery")  # BG-13
        if snapshot.delivery_date:
            _el(delivery, "cbc:ActualDeliveryDate", snapshot.delivery_date.isoformat())  # BT-72
        if snapshot.deliver_to_country:
            place = _el(_el(delivery, "cac:DeliveryLocation"), "cac:Address")
            _el(_el(place, "cac:Country"), "cbc:IdentificationCode", snapshot.deliver_to_country)  # BT-80
    means = _el(root, "cac:PaymentMeans")  # BG-16
    _el(means, "cbc:PaymentMeansCode", payment_means_code(snapshot))  # BT-81
    if snapshot.due_date and is_credit_note:
        _el(means, "cbc:PaymentDueDate", iso_date(snapshot.due_date))  # BT-9 on a credit note
    remittance = payment_reference(snapshot)
    if remittance:
        _el(means, "cbc:PaymentID", remittance)  # BT-83
    if snapshot.payment_iban:
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", snapshot.payment_iban)  # BT-84
        if snapshot.payment_bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", snapshot.payment_bic)  # BT-86
    if snapshot.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", snapshot.payment_terms)  # BT-20

    for adjustment in snapshot.adjustments:  # BG-20 / BG-21
        element = _el(root, "cac:AllowanceCharge")
        _el(element, "cbc:ChargeIndicator", "true" if adjustment.is_charge else "false")
        reason = adjustment.reason or words["charge" if adjustment.is_charge else "allowance"]
        _el(element, "cbc:AllowanceChargeReason", reason)  # BT-97 / BT-104
        money(element, "cbc:Amount", adjustment.amount)  # BT-92 / BT-99
        category = _tax_category(element, "cac:TaxCategory", adjustment.vat_category, adjustment.vat_rate)
        _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    tax_total = _el(root, "cac:TaxTotal")
    money(tax_total, "cbc:TaxAmount", totals.vat)  # BT-110
    for group in totals.breakdown:  # BG-23
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        money(subtotal, "cbc:TaxableAmount", group.taxable)  # BT-116
        money(subtotal, "cbc:TaxAmount", group.tax)  # BT-117
        category = _tax_category(subtotal, "cac:TaxCategory", group.category, group.rate)  # BT-118/119
        exemption = exemption_reason(group)
        code = exemption_code(group.category)
        if code and exemption:
            _el(category, "cbc:TaxExemptionReasonCode", code)  # BT-121
        if exemption:
            _el(category, "cbc:TaxExemptionReason", exemption)  # BT-120
        _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    sums = _el(root, "cac:LegalMonetaryTotal")
    money(sums, "cbc:LineExtensionAmount", totals.sum_lines)  # BT-106
    money(sums, "cbc:TaxExclusiveAmount", totals.net)  # BT-109
    money(sums, "cbc:TaxInclusiveAmount", totals.gross)  # BT-112
    if any(not a.is_charge for a in snapshot.adjustments):
        money(sums, "cbc:AllowanceTotalAmount", totals.allowances)  # BT-107
    if any(a.is_charge for a in snapshot.adjustments):
        money(sums, "cbc:ChargeTotalAmount", totals.charges)  # BT-108
    if totals.prepaid:
        money(sums, "cbc:PrepaidAmount", totals.prepaid)  # BT-113
    if totals.rounding:
        money(sums, "cbc:PayableRoundingAmount", totals.rounding)  # BT-114
    money(sums, "cbc:PayableAmount", totals.due)  # BT-115

    line_tag, quantity_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if is_credit_note
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    for line, net in zip(snapshot.lines, totals.line_nets, strict=True):  # BG-25
        element = _el(root, line_tag)
        _el(element, "cbc:ID", str(line.position))  # BT-126
        _el(element, quantity_tag, quantity_text(line.quantity), unitCode=line.unit)  # BT-129 / BT-130
        money(element, "cbc:LineExtensionAmount", net)  # BT-131
        if line.discount:
            allowance = _el(element, "cac:AllowanceCharge")
            _el(allowance, "cbc:ChargeIndicator", "false")
            _el(allowance, "cbc:AllowanceChargeReason", words["discount"])  # BT-139
            money(allowance, "cbc:Amount", line.discount)  # BT-136
        item = _el(element, "cac:Item")
        _el(item, "cbc:Name", line.description)  # BT-153
        category = _tax_category(item, "cac:ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")  # BT-151 / BT-152
        price = _el(element, "cac:Price")
        _el(price, "cbc:PriceAmount", price_text(line.unit_price, currency), currencyID=currency)  # BT-146

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
