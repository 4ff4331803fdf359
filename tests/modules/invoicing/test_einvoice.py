"""E-invoices: the Factur-X CII and the Peppol UBL XML of a snapshot are valid, complete and stable."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from core.errors import InvalidInput
from modules.invoicing.services.einvoice import (
    CUSTOMIZATION_ID,
    FACTURX_GUIDELINE,
    PROFILE_ID,
    IssuedOnly,
    check_cii,
    check_ubl,
    cii_rule_errors,
    facturx_xml,
    ubl_rule_errors,
    ubl_xml,
)
from modules.invoicing.services.einvoice.cii import NAMESPACES as CII
from modules.invoicing.services.issuing import check_issuable
from modules.invoicing.services.snapshots import (
    AddressSnapshot,
    AdjustmentSnapshot,
    Branding,
    InvoiceSnapshot,
    LineSnapshot,
    PartySnapshot,
)
from modules.invoicing.services.totals import AdjustmentInput, LineInput, compute_totals
from tests.modules.invoicing.test_calc import documents

UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

SELLER = PartySnapshot(
    name="Les Jardins Partagés SCIC",
    address=AddressSnapshot(line1="12 rue des Maraîchers", postcode="69007", city="Lyon", country="FR"),
    vat_id="FR40303265045",
    company_id="30326504500017",
    email="factures@jardins-partages.coop",
)
BUYER = PartySnapshot(
    name="Green Grocers SCOP",
    address=AddressSnapshot(
        line1="1 Market Street", line2="Unit 4", postcode="75011", city="Paris", country="FR"
    ),
    vat_id="FR82542065479",
    email="compta@greengrocers.example",
)
GERMAN_BUYER = PartySnapshot(
    name="Bioladen Genossenschaft eG",
    address=AddressSnapshot(line1="Hauptstraße 5", postcode="10115", city="Berlin", country="DE"),
    vat_id="DE123456789",
)

# (description, quantity, unit, unit price, discount, category, rate, exemption reason)
Line = tuple[str, str, str, str, str, str, str, str | None]
FIFTEEN_LINES: list[Line] = [
    ("Vegetable box, small", "12", "C62", "14.50", "0", "S", "5.5", None),
    ("Vegetable box, large", "8", "C62", "24.90", "10.00", "S", "5.5", None),
    ("Fruit basket", "6", "C62", "18.00", "0", "S", "5.5", None),
    ("Organic apples", "25.5", "KGM", "3.20", "0", "S", "5.5", None),
    ("Free-range eggs (tray of 30)", "10", "C62", "9.75", "0", "S", "5.5", None),
    ("Honey, 500 g jar", "24", "C62", "7.80", "5.00", "S", "5.5", None),
    ("Apple juice, 1 l", "36", "LTR", "3.10", "0", "S", "5.5", None),
    ("Delivery round, Lyon", "4", "C62", "35.00", "0", "S", "20", None),
    ("Cold-chain crate rental", "3", "DAY", "12.00", "0", "S", "20", None),
    ("Market stall set-up", "2.5", "HUR", "42.00", "0", "S", "20", None),
    ("Cooking workshop", "3", "HUR", "65.00", "15.00", "S", "20", None),
    ("Seed potatoes", "40", "KGM", "1.85", "0", "S", "10", None),
    ("Compost, 40 l bag", "15", "C62", "6.40", "0", "S", "10", None),
    ("Farm visit for schools", "1", "DAY", "180.00", "0", "S", "10", None),
    ("Newsletter printing", "200", "C62", "0.35", "0", "S", "20", None),
]
MIXED_LINES: list[Line] = [
    ("Consulting, cooperative governance", "6", "HUR", "90.00", "0", "AE", "0", None),
    ("Training for members", "2", "DAY", "450.00", "0", "E", "0", "Exonération, article 261-4-4° du CGI"),
    ("Seedlings shipped to Berlin", "120", "C62", "1.25", "0", "K", "0", None),
    ("Printed books", "10", "C62", "12.00", "0", "Z", "0", None),
    ("Seed catalogues shipped to Geneva", "40", "C62", "3.00", "0", "G", "0", None),
    ("Software licence", "1", "C62", "200.00", "0", "S", "20", None),
]


def make_snapshot(
    lines: list[Line] = FIFTEEN_LINES,
    adjustments: tuple[AdjustmentSnapshot, ...] = (
        AdjustmentSnapshot(False, Decimal("25.00"), "Loyalty discount", "S", Decimal("5.5")),
        AdjustmentSnapshot(True, Decimal("12.00"), "Packaging", "S", Decimal("20")),
    ),
    *,
    kind: str = "invoice",
    number: str | None = "F-2026-00042",
    language: str = "fr",
    currency: str = "EUR",
    buyer: PartySnapshot = BUYER,
    prepaid: Decimal = Decimal(0),
    **changes: Any,
) -> InvoiceSnapshot:
    """A realistic invoice of a produce co-op, its totals computed by the calculation engine."""
    inputs = [
        LineInput(
            quantity=Decimal(q),
            unit_price=Decimal(p),
            vat_category=c,
            vat_rate=Decimal(r),
            discount=Decimal(d),
            exemption_reason=e,
        )
        for _, q, _, p, d, c, r, e in lines
    ]
    totals = compute_totals(
        inputs,
        [AdjustmentInput(a.is_charge, a.amount, a.vat_category, a.vat_rate, a.reason) for a in adjustments],
        currency=currency,
        prepaid=prepaid,
    )
    line_snapshots = tuple(
        LineSnapshot(
            position=i,
            description=description,
            quantity=Decimal(q),
            unit=unit,
            unit_price=Decimal(p),
            discount=Decimal(d),
            vat_category=c,
            vat_rate=Decimal(r),
            net_amount=net,
            exemption_reason=e,
        )
        for i, ((description, q, unit, p, d, c, r, e), net) in enumerate(
            zip(lines, totals.line_nets, strict=True), start=1
        )
    )
    snapshot = InvoiceSnapshot(
        kind=kind,
        number=number,
        issue_date=date(2026, 3, 14),
        currency=currency,
        language=language,
        seller=SELLER,
        buyer=buyer,
        lines=line_snapshots,
        totals=totals,
        adjustments=adjustments,
        due_date=date(2026, 4, 13),
        payment_terms="30 jours net",
        buyer_reference="GG-ACHATS-7",
        order_reference="PO-2026-118",
        notes="Merci de votre confiance.",
        payment_iban="FR7630006000011234567890189",
        payment_bic="AGRIFRPPXXX",
        branding=Branding(footer="Les Jardins Partagés SCIC · SIRET 303 265 045 00017"),
    )
    return replace(snapshot, **changes) if changes else snapshot


def make_credit_note(**changes: Any) -> InvoiceSnapshot:
    """A credit note for three lines of invoice F-2026-00042."""
    fields: dict[str, Any] = {
        "kind": "credit_note",
        "number": "AV-2026-00007",
        "preceding_number": "F-2026-00042",
        "preceding_date": date(2026, 3, 14),
        "payment_terms": None,
        **changes,
    }
    return make_snapshot(FIFTEEN_LINES[:3], (), **fields)


def make_mixed(**changes: Any) -> InvoiceSnapshot:
    """Reverse charge, exemption, intra-community supply, export, zero and standard rate at once (with
    the delivery date and country an intra-community supply needs, as issuing sets them)."""
    fields: dict[str, Any] = {"delivery_date": date(2026, 3, 14), "deliver_to_country": "DE", **changes}
    return make_snapshot(MIXED_LINES, (), buyer=GERMAN_BUYER, language="de", **fields)


def make_outside_scope(**changes: Any) -> InvoiceSnapshot:
    """A membership fee outside the scope of VAT: category O alone (EN 16931 BR-O-11)."""
    lines: list[Line] = [
        ("Membership fee collected for the federation", "1", "C62", "50.00", "0", "O", "0", None)
    ]
    return make_snapshot(lines, (), **changes)


LEGAL = [make_snapshot, make_credit_note, make_mixed, make_outside_scope]
LEGAL_IDS = ["invoice", "credit", "mixed", "outside-scope"]


def cii_text(xml: bytes, path: str) -> list[str]:
    return [str(node) for node in etree.fromstring(xml).xpath(path, namespaces=CII)]


def ubl_text(xml: bytes, path: str) -> list[str]:
    return [str(node) for node in etree.fromstring(xml).xpath(path, namespaces=UBL)]


@pytest.mark.parametrize("make", LEGAL, ids=LEGAL_IDS)
def test_cii_is_valid_against_the_factur_x_en16931_schema_and_rules(make: Any) -> None:
    xml = facturx_xml(make())
    assert check_cii(xml) == []
    assert cii_rule_errors(xml) == []


@pytest.mark.parametrize("make", LEGAL, ids=LEGAL_IDS)
def test_ubl_is_valid_against_the_ubl_21_schema_and_the_en16931_rules(make: Any) -> None:
    xml = ubl_xml(make())
    assert check_ubl(xml) == []
    assert ubl_rule_errors(xml) == []


def test_the_rule_checks_name_the_rule_an_invoice_breaks() -> None:
    """An intra-community supply without its delivery date and country breaks BR-IC-11 and BR-IC-12."""
    snapshot = make_mixed(delivery_date=None, deliver_to_country=None)
    for errors in (cii_rule_errors(facturx_xml(snapshot)), ubl_rule_errors(ubl_xml(snapshot))):
        assert [e[:10] for e in errors] == ["[BR-IC-11]", "[BR-IC-12]"]


def test_outside_scope_states_no_vat_numbers() -> None:
    """EN 16931 BR-O-02: an invoice outside the scope of VAT names neither party's VAT number."""
    snapshot = make_outside_scope(buyer=GERMAN_BUYER)
    assert snapshot.seller.vat_id and snapshot.buyer.vat_id
    for make, expected in ((make_snapshot, 2), (make_outside_scope, 0)):
        cii = facturx_xml(make(buyer=GERMAN_BUYER))
        assert len(cii_text(cii, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()")) == expected
        ubl = ubl_xml(make(buyer=GERMAN_BUYER))
        assert len(ubl_text(ubl, "//cac:PartyTaxScheme/cbc:CompanyID/text()")) == expected


def test_cii_carries_the_key_business_terms_where_en16931_puts_them() -> None:
    snapshot = make_snapshot()
    xml = facturx_xml(snapshot)
    totals = snapshot.totals
    sums = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert cii_text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        FACTURX_GUIDELINE
    ]
    assert cii_text(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID/text()") == ["F-2026-00042"]
    assert cii_text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert cii_text(xml, "//ram:IssueDateTime/udt:DateTimeString[@format='102']/text()") == ["20260314"]
    assert cii_text(
        xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()"
    ) == ["FR82542065479"]
    assert cii_text(xml, "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID/text()") == ["FR"]
    assert cii_text(xml, "//ram:BuyerReference/text()") == ["GG-ACHATS-7"]
    assert cii_text(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-2026-118"]
    assert cii_text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["58"]
    assert cii_text(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()") == [
        "FR7630006000011234567890189"
    ]
    assert cii_text(xml, "//ram:PaymentReference/text()") == ["F-2026-00042"]
    assert cii_text(
        xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString/text()"
    ) == ["20260413"]
    assert cii_text(xml, sums + "ram:LineTotalAmount/text()") == [f"{totals.sum_lines:.2f}"]
    assert cii_text(xml, sums + "ram:AllowanceTotalAmount/text()") == ["25.00"]
    assert cii_text(xml, sums + "ram:ChargeTotalAmount/text()") == ["12.00"]
    assert cii_text(xml, sums + "ram:TaxBasisTotalAmount/text()") == [f"{totals.net:.2f}"]
    assert cii_text(xml, sums + "ram:TaxTotalAmount[@currencyID='EUR']/text()") == [f"{totals.vat:.2f}"]
    assert cii_text(xml, sums + "ram:GrandTotalAmount/text()") == [f"{totals.gross:.2f}"]
    assert cii_text(xml, sums + "ram:DuePayableAmount/text()") == [f"{totals.due:.2f}"]
    breakdown = etree.fromstring(xml).xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=CII
    )
    assert [
        (
            g.findtext("ram:CategoryCode", namespaces=CII),
            g.findtext("ram:RateApplicablePercent", namespaces=CII),
        )
        for g in breakdown
    ] == [(g.category, f"{g.rate:.2f}") for g in totals.breakdown]
    assert [g.findtext("ram:CalculatedAmount", namespaces=CII) for g in breakdown] == [
        f"{g.tax:.2f}" for g in totals.breakdown
    ]
    assert len(cii_text(xml, "//ram:IncludedSupplyChainTradeLineItem")) == 15
    second = "//ram:IncludedSupplyChainTradeLineItem[2]/"
    line_allowance = (
        "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount/text()"
    )
    assert cii_text(xml, second + line_allowance) == ["10.00"]
    assert cii_text(xml, second + "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode") == ["C62"]


def test_a_credit_note_names_the_invoice_it_corrects() -> None:
    xml = facturx_xml(make_credit_note())
    assert cii_text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert cii_text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == ["F-2026-00042"]
    assert cii_text(
        xml, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString/text()"
    ) == ["20260314"]
    ubl = ubl_xml(make_credit_note())
    assert etree.fromstring(ubl).tag == etree.QName(UBL["cn"], "CreditNote").text
    assert ubl_text(ubl, "/cn:CreditNote/cbc:CreditNoteTypeCode/text()") == ["381"]
    assert ubl_text(ubl, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()") == [
        "F-2026-00042"
    ]
    assert ubl_text(ubl, "//cac:PaymentMeans/cbc:PaymentDueDate/text()") == ["2026-04-13"]
    assert len(ubl_text(ubl, "//cac:CreditNoteLine/cbc:CreditedQuantity")) == 3


def test_exempt_categories_state_why_and_out_of_scope_has_no_rate() -> None:
    snapshot = make_mixed()
    xml = facturx_xml(snapshot)
    groups = {
        g.findtext("ram:CategoryCode", namespaces=CII): g
        for g in etree.fromstring(xml).xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=CII
        )
    }
    assert set(groups) == {"S", "Z", "E", "AE", "K", "G"}
    for category in ("E", "AE", "K", "G"):
        assert groups[category].findtext("ram:ExemptionReason", namespaces=CII), category
    assert (
        groups["E"].findtext("ram:ExemptionReason", namespaces=CII) == "Exonération, article 261-4-4° du CGI"
    )
    assert groups["AE"].findtext("ram:ExemptionReasonCode", namespaces=CII) == "VATEX-EU-AE"
    assert groups["S"].find("ram:ExemptionReason", namespaces=CII) is None
    assert groups["G"].findtext("ram:RateApplicablePercent", namespaces=CII) == "0.00"
    outside = etree.fromstring(facturx_xml(make_outside_scope())).xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=CII
    )
    assert [g.findtext("ram:CategoryCode", namespaces=CII) for g in outside] == ["O"]
    assert outside[0].find("ram:RateApplicablePercent", namespaces=CII) is None
    assert outside[0].findtext("ram:ExemptionReason", namespaces=CII)
    assert cii_text(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == [
        "DE123456789"
    ]

    ubl = ubl_xml(snapshot)
    subtotals = etree.fromstring(ubl).xpath("//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", namespaces=UBL)
    by_category = {c.findtext("cbc:ID", namespaces=UBL): c for c in subtotals}
    assert by_category["K"].findtext("cbc:TaxExemptionReasonCode", namespaces=UBL) == "VATEX-EU-IC"
    assert by_category["G"].findtext("cbc:TaxExemptionReasonCode", namespaces=UBL) == "VATEX-EU-G"
    outside = etree.fromstring(ubl_xml(make_outside_scope())).xpath(
        "//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", namespaces=UBL
    )
    assert outside[0].findtext("cbc:ID", namespaces=UBL) == "O"
    assert outside[0].find("cbc:Percent", namespaces=UBL) is None


def test_ubl_follows_peppol_bis_billing_3() -> None:
    snapshot = make_snapshot()
    xml = ubl_xml(snapshot)
    totals = snapshot.totals
    assert etree.fromstring(xml).tag == etree.QName(UBL["inv"], "Invoice").text
    assert ubl_text(xml, "/inv:Invoice/cbc:CustomizationID/text()") == [CUSTOMIZATION_ID]
    assert ubl_text(xml, "/inv:Invoice/cbc:ProfileID/text()") == [PROFILE_ID]
    assert ubl_text(xml, "/inv:Invoice/cbc:ID/text()") == ["F-2026-00042"]
    assert ubl_text(xml, "/inv:Invoice/cbc:InvoiceTypeCode/text()") == ["380"]
    assert ubl_text(xml, "/inv:Invoice/cbc:DueDate/text()") == ["2026-04-13"]
    assert ubl_text(xml, "//cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID/text()") == [
        "FR82542065479"
    ]
    assert ubl_text(xml, "//cac:AccountingSupplierParty/cac:Party/cbc:EndpointID/@schemeID") == ["9957"]
    assert ubl_text(xml, "//cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == [
        "FR7630006000011234567890189"
    ]
    assert ubl_text(xml, "//cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount/text()") == [f"{totals.net:.2f}"]
    assert ubl_text(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount[@currencyID='EUR']/text()") == [
        f"{totals.due:.2f}"
    ]
    assert ubl_text(xml, "/inv:Invoice/cac:TaxTotal/cbc:TaxAmount/text()") == [f"{totals.vat:.2f}"]
    assert len(ubl_text(xml, "//cac:TaxSubtotal")) == len(totals.breakdown)
    assert len(ubl_text(xml, "//cac:InvoiceLine")) == 15


def test_every_amount_has_exactly_the_document_decimals() -> None:
    snapshot = make_snapshot(prepaid=Decimal("100"))
    amount = re.compile(r"-?\d+\.\d{2}")
    cii = etree.fromstring(facturx_xml(snapshot))
    amount_tags = ("Amount", "TotalAmount", "BasisAmount", "CalculatedAmount", "DuePayableAmount")
    for node in cii.iter():
        name = etree.QName(node).localname
        if name.endswith(amount_tags):
            assert amount.fullmatch(node.text or ""), (name, node.text)
    ubl = etree.fromstring(ubl_xml(snapshot))
    for node in ubl.iter():
        if node.get("currencyID"):
            assert amount.fullmatch(node.text or ""), (etree.QName(node).localname, node.text)


def test_a_currency_without_minor_unit_has_no_decimals() -> None:
    snapshot = make_snapshot(FIFTEEN_LINES[:2], (), currency="JPY")
    xml = facturx_xml(snapshot)
    assert cii_text(xml, "//ram:GrandTotalAmount/text()")[0].isdigit()
    assert check_cii(xml) == []
    assert check_ubl(ubl_xml(snapshot)) == []


def test_the_same_snapshot_gives_byte_identical_xml() -> None:
    assert facturx_xml(make_snapshot()) == facturx_xml(make_snapshot())
    assert ubl_xml(make_snapshot()) == ubl_xml(make_snapshot())
    assert facturx_xml(make_mixed()) == facturx_xml(make_mixed())


def test_without_an_iban_the_payment_means_is_not_a_credit_transfer() -> None:
    snapshot = make_snapshot(payment_iban=None, payment_bic=None)
    xml = facturx_xml(snapshot)
    assert cii_text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["1"]
    assert check_cii(xml) == []
    assert ubl_text(ubl_xml(snapshot), "//cac:PaymentMeans/cbc:PaymentMeansCode/text()") == ["1"]


def test_a_draft_has_no_e_invoice() -> None:
    with pytest.raises(IssuedOnly):
        facturx_xml(make_snapshot(number=None))
    with pytest.raises(IssuedOnly):
        ubl_xml(make_snapshot(number=None))


def test_the_checks_report_what_is_wrong() -> None:
    cii = etree.fromstring(facturx_xml(make_snapshot()))
    document = cii.find("rsm:ExchangedDocument", namespaces=CII)
    assert document is not None
    document.remove(document.find("ram:TypeCode", namespaces=CII))
    errors = check_cii(etree.tostring(cii))
    assert errors and "TypeCode" in " ".join(errors)
    assert check_cii(b"<not-closed>")[0].startswith("not well-formed")
    assert check_ubl(facturx_xml(make_snapshot())) != []
    assert check_cii(ubl_xml(make_snapshot())) != []


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(), kind=st.sampled_from(["invoice", "credit_note"]))
def test_whatever_passes_the_issue_checks_passes_the_en16931_rules(document: Any, kind: str) -> None:
    """Correct by construction: any lines, allowances, charges, currency and prepayment that issuing
    accepts give a CII and a UBL document that the official EN 16931 schematrons accept."""
    nets = document.totals().line_nets
    lines = tuple(
        LineSnapshot(
            position=i,
            description=f"Item {i}",
            quantity=item.quantity,
            unit="C62",
            unit_price=item.unit_price,
            discount=item.discount,
            vat_category=item.vat_category,
            vat_rate=item.vat_rate,
            net_amount=net,
            exemption_reason=item.exemption_reason,
        )
        for i, (item, net) in enumerate(zip(document.lines, nets, strict=True), start=1)
    )
    adjustments = tuple(
        AdjustmentSnapshot(a.is_charge, a.amount, a.reason or "Adjustment", a.vat_category, a.vat_rate)
        for a in document.adjustments
    )
    crosses_border = any(
        item.vat_category in ("K", "G") for item in (*lines, *adjustments)
    )  # as issuing does
    snapshot = replace(
        make_snapshot(),
        kind=kind,
        currency=document.currency,
        lines=lines,
        adjustments=adjustments,
        totals=document.totals(),
        buyer=GERMAN_BUYER,
        preceding_number="F-2026-00041" if kind == "credit_note" else None,
        preceding_date=date(2026, 3, 1) if kind == "credit_note" else None,
        due_date=date(2026, 4, 13) if kind == "invoice" else None,
        payment_terms="30 days" if kind == "invoice" else None,
        delivery_date=date(2026, 3, 14) if crosses_border else None,
        deliver_to_country="DE" if crosses_border else None,
    )
    try:
        check_issuable(snapshot)
    except InvalidInput:
        assume(False)
    cii, ubl = facturx_xml(snapshot), ubl_xml(snapshot)
    assert check_cii(cii) == [] and cii_rule_errors(cii) == []
    assert check_ubl(ubl) == [] and ubl_rule_errors(ubl) == []
