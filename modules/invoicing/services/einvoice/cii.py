"""Factur-X / ZUGFeRD XML: UN/CEFACT Cross Industry Invoice D16B in the EN 16931 profile.

The element order follows the Factur-X 1.09 EN 16931 XSD; business terms (BT-n) are named where
they are written. The same snapshot always gives the same bytes (no clock, no random identifiers).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from core.text import carriable
from modules.invoicing.errors import IssuedOnly
from modules.invoicing.services.einvoice.content import (
    RATELESS_CATEGORIES,
    compact_date,
    exemption_code,
    exemption_reason,
    payment_means_code,
    payment_reference,
    price_text,
    quantity_text,
    rate_text,
    states_vat_numbers,
)
from modules.invoicing.services.languages import labels_for
from modules.invoicing.services.rounding import document_amount_text
from modules.invoicing.services.snapshots import AddressSnapshot, InvoiceSnapshot, PartySnapshot

__all__ = ["FACTURX_FILENAME", "FACTURX_GUIDELINE", "FACTURX_LEVEL", "NAMESPACES", "facturx_xml"]

FACTURX_GUIDELINE = "urn:cen.eu:en16931:2017"
"""BT-24 for the Factur-X EN 16931 profile."""
FACTURX_LEVEL = "EN 16931"
"""The profile's name in the PDF's XMP metadata (fx:ConformanceLevel)."""
FACTURX_FILENAME = "factur-x.xml"
"""The name the XML must carry inside the PDF."""

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = carriable(text)
    return element


def _date(parent: etree._Element, tag: str, value_102: str, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", value_102, format="102")


def _address(parent: etree._Element, address: AddressSnapshot) -> None:
    postal = _el(parent, "ram:PostalTradeAddress")
    if address.postcode:
        _el(postal, "ram:PostcodeCode", address.postcode)
    if address.line1:
        _el(postal, "ram:LineOne", address.line1)
    if address.line2:
        _el(postal, "ram:LineTwo", address.line2)
    if address.city:
        _el(postal, "ram:CityName", address.city)
    _el(postal, "ram:CountryID", address.country or "")  # BR-09 / BR-11: the country is mandatory
    if address.region:
        _el(postal, "ram:CountrySubDivisionName", address.region)


def _party(parent: etree._Element, tag: str, party: PartySnapshot, *, vat_number: bool) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)  # BT-27 / BT-44
    if party.company_id:
        organisation = _el(element, "ram:SpecifiedLegalOrganization")
        _el(organisation, "ram:ID", party.company_id)  # BT-30 / BT-47
    _address(element, party.address)  # BG-5 / BG-8
    if party.email:
        communication = _el(element, "ram:URIUniversalCommunication")
        _el(communication, "ram:URIID", party.email, schemeID="EM")  # BT-34 / BT-49
    if party.vat_id and vat_number:
        registration = _el(element, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_id, schemeID="VA")  # BT-31 / BT-48


def _tax_category(parent: etree._Element, category: str, rate_value: str) -> None:
    _el(parent, "ram:TypeCode", "VAT")
    _el(parent, "ram:CategoryCode", category)
    if category not in RATELESS_CATEGORIES:
        _el(parent, "ram:RateApplicablePercent", rate_value)


def facturx_xml(snapshot: InvoiceSnapshot) -> bytes:
    """The CII XML of an issued invoice or credit note (Factur-X EN 16931 profile), UTF-8 encoded."""
    if snapshot.number is None:
        raise IssuedOnly()
    currency = snapshot.currency
    totals = snapshot.totals
    words = labels_for(snapshot.language)

    def money(value: Decimal) -> str:
        return document_amount_text(value, currency)

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NAMESPACES)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", FACTURX_GUIDELINE)  # BT-24

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", snapshot.number)  # BT-1
    _el(document, "ram:TypeCode", snapshot.type_code)  # BT-3
    _date(document, "ram:IssueDateTime", compact_date(snapshot.issue_date))  # BT-2
    if snapshot.notes:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", snapshot.notes)  # BT-22

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line, net in zip(snapshot.lines, totals.line_nets, strict=True):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_document, "ram:LineID", str(line.position))  # BT-126
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.description)  # BT-153
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", price_text(line.unit_price, currency))  # BT-146
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", quantity_text(line.quantity), unitCode=line.unit)  # BT-129/130
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _tax_category(tax, line.vat_category, rate_text(line.vat_rate))  # BT-151, BT-152
        if line.discount:
            allowance = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
            indicator = _el(allowance, "ram:ChargeIndicator")
            _el(indicator, "udt:Indicator", "false")
            _el(allowance, "ram:ActualAmount", money(line.discount))  # BT-136
            _el(allowance, "ram:Reason", words["discount"])  # BT-139 (BR-42)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", money(net))  # BT-131

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if snapshot.buyer_reference:
        _el(agreement, "ram:BuyerReference", snapshot.buyer_reference)  # BT-10
    vat_numbers = states_vat_numbers(snapshot)
    _party(agreement, "ram:SellerTradeParty", snapshot.seller, vat_number=vat_numbers)
    _party(agreement, "ram:BuyerTradeParty", snapshot.buyer, vat_number=vat_numbers)
    if snapshot.order_reference:
        order = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(order, "ram:IssuerAssignedID", snapshot.order_reference)  # BT-13

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if snapshot.deliver_to_country:
        ship_to = _el(delivery, "ram:ShipToTradeParty")
        _el(_el(ship_to, "ram:PostalTradeAddress"), "ram:CountryID", snapshot.deliver_to_country)  # BT-80
    if snapshot.delivery_date:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", snapshot.delivery_date.strftime("%Y%m%d"))  # BT-72

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    reference = payment_reference(snapshot)
    if reference:
        _el(settlement, "ram:PaymentReference", reference)  # BT-83
    _el(settlement, "ram:InvoiceCurrencyCode", currency)  # BT-5
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", payment_means_code(snapshot))  # BT-81
    if snapshot.payment_iban:
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", snapshot.payment_iban)  # BT-84
        if snapshot.payment_bic:
            institution = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _el(institution, "ram:BICID", snapshot.payment_bic)  # BT-86

    for group in totals.breakdown:  # BG-23
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", money(group.tax))  # BT-117
        _el(tax, "ram:TypeCode", "VAT")
        reason = exemption_reason(group)
        if reason:
            _el(tax, "ram:ExemptionReason", reason)  # BT-120
        _el(tax, "ram:BasisAmount", money(group.taxable))  # BT-116
        _el(tax, "ram:CategoryCode", group.category)  # BT-118
        code = exemption_code(group.category)
        if code and reason:
            _el(tax, "ram:ExemptionReasonCode", code)  # BT-121
        if group.category not in RATELESS_CATEGORIES:
            _el(tax, "ram:RateApplicablePercent", rate_text(group.rate))  # BT-119

    for adjustment in snapshot.adjustments:  # BG-20 allowances, BG-21 charges
        element = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        indicator = _el(element, "ram:ChargeIndicator")
        _el(indicator, "udt:Indicator", "true" if adjustment.is_charge else "false")
        _el(element, "ram:ActualAmount", money(adjustment.amount))  # BT-92 / BT-99
        reason = adjustment.reason or words["charge" if adjustment.is_charge else "allowance"]
        _el(element, "ram:Reason", reason)  # BT-97 / BT-104 (BR-33, BR-38)
        category = _el(element, "ram:CategoryTradeTax")
        _tax_category(category, adjustment.vat_category, rate_text(adjustment.vat_rate))  # BT-95/96

    if snapshot.payment_terms or snapshot.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if snapshot.payment_terms:
            _el(terms, "ram:Description", snapshot.payment_terms)  # BT-20
        if snapshot.due_date:
            _date(terms, "ram:DueDateDateTime", compact_date(snapshot.due_date))  # BT-9

    sums = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(sums, "ram:LineTotalAmount", money(totals.sum_lines))  # BT-106
    if any(a.is_charge for a in snapshot.adjustments):
        _el(sums, "ram:ChargeTotalAmount", money(totals.charges))  # BT-108
    if any(not a.is_charge for a in snapshot.adjustments):
        _el(sums, "ram:AllowanceTotalAmount", money(totals.allowances))  # BT-107
    _el(sums, "ram:TaxBasisTotalAmount", money(totals.net))  # BT-109
    _el(sums, "ram:TaxTotalAmount", money(totals.vat), currencyID=currency)  # BT-110
    if totals.rounding:
        _el(sums, "ram:RoundingAmount", money(totals.rounding))  # BT-114
    _el(sums, "ram:GrandTotalAmount", money(totals.gross))  # BT-112
    if totals.prepaid:
        _el(sums, "ram:TotalPrepaidAmount", money(totals.prepaid))  # BT-113
    _el(sums, "ram:DuePayableAmount", money(totals.due))  # BT-115

    if snapshot.preceding_number:  # BG-3: the invoice a credit note corrects
        preceding = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(preceding, "ram:IssuerAssignedID", snapshot.preceding_number)  # BT-25
        if snapshot.preceding_date:
            _date(
                preceding, "ram:FormattedIssueDateTime", compact_date(snapshot.preceding_date), qualified=True
            )  # BT-26

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
