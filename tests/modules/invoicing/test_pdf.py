"""Invoice PDFs: what a customer reads, in their language, and the Factur-X plumbing inside the file."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from decimal import Decimal
from typing import Any

import facturx
import pypdf
import pytest

from core.documents import AssetFetcher, DocumentRenderer
from modules.invoicing.services.einvoice import IssuedOnly, check_cii, facturx_xml
from modules.invoicing.services.languages import LANGUAGES, labels_for
from modules.invoicing.services.pdf import (
    STYLESHEET,
    TEMPLATES_DIR,
    invoice_html,
    render_invoice_pdf,
    render_invoice_pdf_async,
)
from modules.invoicing.services.snapshots import Branding, InvoiceSnapshot
from tests.modules.invoicing.test_einvoice import make_credit_note, make_snapshot

# One line whose total with 20 % VAT is exactly 1,234.56.
ONE_LINE = [("Annual maintenance", "1", "C62", "1028.80", "0", "S", "20", None)]


def pdf_text(pdf: bytes) -> str:
    """The text of every page as one line of words."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())  # Babel's no-break spaces and wrapped lines read as single spaces


def xmp(pdf: bytes) -> str:
    root: Any = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    return bytes(root["/Metadata"].get_object().get_data()).decode()


def png_data_uri() -> str:
    """A one-pixel green PNG as a data: URI (a tenant's logo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x1b\x5e\x3b"))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_an_issued_invoice_shows_its_number_customer_and_total_in_french() -> None:
    snapshot = make_snapshot(ONE_LINE, (), language="fr")
    assert snapshot.totals.gross == Decimal("1234.56")
    text = pdf_text(render_invoice_pdf(snapshot, facturx=True))
    assert "F-2026-00042" in text
    assert "Green Grocers SCOP" in text
    assert "1 234,56 €" in text
    assert "Facture" in text
    assert "Page 1 sur 1" in text


def test_english_amounts_are_formatted_the_english_way() -> None:
    text = pdf_text(render_invoice_pdf(make_snapshot(ONE_LINE, (), language="en"), facturx=False))
    assert "€1,234.56" in text
    assert "Amount due" in text
    assert "March 14, 2026" in text
    assert "Page 1 of 1" in text


def test_a_german_customer_reads_german_labels() -> None:
    text = pdf_text(render_invoice_pdf(make_snapshot(language="de"), facturx=False))
    for label in (
        "Rechnung",
        "Rechnungsnummer",
        "Zahlbetrag",
        "Gesamt brutto",
        "Umsatzsteuer",
        "Seite 1 von 1",
    ):
        assert label in text, label
    assert "14. März 2026" in text


@pytest.mark.parametrize("language", ["es", "it"])
def test_spanish_and_italian_documents_are_labelled_in_their_language(language: str) -> None:
    words = labels_for(language)
    text = pdf_text(render_invoice_pdf(make_snapshot(ONE_LINE, (), language=language), facturx=False))
    assert words["invoice"] in text
    assert words["amount_due"] in text
    assert "1.234,56 €" in text


def test_every_language_has_every_label() -> None:
    keys = set(labels_for("en"))
    assert {language: set(labels_for(language)) for language in LANGUAGES} == dict.fromkeys(LANGUAGES, keys)


def test_a_fifteen_line_invoice_fits_on_one_page_with_every_line() -> None:
    snapshot = make_snapshot()
    pdf = render_invoice_pdf(snapshot, facturx=True)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    text = pdf_text(pdf)
    for line in snapshot.lines:
        assert line.description in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text  # payment instructions
    assert "AGRIFRPPXXX" in text
    assert "Merci de votre confiance." in text  # notes
    assert "SIRET 303 265 045 00017" in text  # the tenant's footer


def test_a_long_invoice_repeats_the_table_header_on_every_page_of_lines() -> None:
    from tests.modules.invoicing.test_einvoice import FIFTEEN_LINES

    snapshot = make_snapshot(FIFTEEN_LINES * 5, language="en")
    reader = pypdf.PdfReader(io.BytesIO(render_invoice_pdf(snapshot, facturx=False)))
    pages_with_lines = [
        page.extract_text() for page in reader.pages if "Seed potatoes" in page.extract_text()
    ]
    assert len(pages_with_lines) >= 2
    for text in pages_with_lines:
        assert "UNIT PRICE" in text.upper()


def test_a_draft_preview_says_draft_and_carries_no_e_invoice() -> None:
    pdf = render_invoice_pdf(make_snapshot(number=None, language="en"), facturx=False)
    text = pdf_text(pdf)
    assert "DRAFT \N{EM DASH} not a valid invoice" in text
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert dict(reader.attachments) == {}
    assert "/AF" not in reader.trailer["/Root"]
    with pytest.raises(IssuedOnly):
        render_invoice_pdf(make_snapshot(number=None), facturx=True)


def test_a_factur_x_pdf_embeds_the_cii_xml_as_pdf_a_3() -> None:
    snapshot = make_snapshot()
    pdf = render_invoice_pdf(snapshot, facturx=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.attachments["factur-x.xml"] == [facturx_xml(snapshot)]

    root: Any = reader.trailer["/Root"]
    associated = [reference.get_object() for reference in root["/AF"]]
    assert len(associated) == 1
    filespec = associated[0]
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert "/OutputIntents" in root

    metadata = xmp(pdf)
    assert 'pdfaid:part="3"' in metadata or "<pdfaid:part>3</pdfaid:part>" in metadata
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in metadata
    assert "<fx:DocumentType>INVOICE</fx:DocumentType>" in metadata
    assert "<fx:Version>1.0</fx:Version>" in metadata

    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)  # the factur-x library finds and checks it
    assert name == "factur-x.xml"
    assert xml == facturx_xml(snapshot)
    assert check_cii(xml) == []


def test_a_credit_note_is_titled_as_such_and_names_the_corrected_invoice() -> None:
    text = pdf_text(render_invoice_pdf(make_credit_note(language="en"), facturx=True))
    assert "Credit note" in text
    assert "AV-2026-00007" in text
    assert "Corrects invoice" in text
    assert "F-2026-00042 of March 14, 2026" in text
    assert "Amount credited" in text


def test_the_tenants_logo_and_colour_are_used_and_only_safe_ones() -> None:
    branded = make_snapshot(branding=Branding(colour="#aa3300", logo_data_uri=png_data_uri()))
    html = invoice_html(branded)
    assert "#aa3300" in html
    assert 'src="data:image/png;base64,' in html
    pdf = render_invoice_pdf(branded, facturx=False)
    page: Any = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert page["/Resources"]["/XObject"]  # the logo is in the PDF

    hostile = make_snapshot(
        branding=Branding(colour="red; } body { display: none", logo_data_uri="https://tracker.example/x.png")
    )
    html = invoice_html(hostile)
    assert "display: none" not in html
    assert "tracker.example" not in html


def test_tenant_text_is_printed_as_text_never_as_markup() -> None:
    snapshot = make_snapshot(notes='<img src="http://intranet.example/secret"> <b>bold</b>')
    html = invoice_html(snapshot)
    assert '<img src="http://intranet' not in html
    assert "&lt;img" in html
    assert '<img src="http://intranet.example/secret">' in pdf_text(
        render_invoice_pdf(snapshot, facturx=False)
    )


class RecordingFetcher(AssetFetcher):
    """The real asset fetcher, keeping a list of what it was asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        self.urls.append(url)
        return super().fetch(url, headers)


def test_rendering_reads_nothing_but_data_urls_and_its_own_assets() -> None:
    renderer = DocumentRenderer(TEMPLATES_DIR, stylesheets=[STYLESHEET], strict=True)
    fetcher = RecordingFetcher(renderer.assets_dir, strict=True)
    renderer.fetcher = fetcher
    snapshot: InvoiceSnapshot = make_snapshot(branding=Branding(logo_data_uri=png_data_uri()))
    renderer.html_to_pdf(invoice_html(snapshot))  # strict: a refused fetch would raise
    assert fetcher.urls  # the logo was fetched...
    assert all(url.startswith("data:") for url in fetcher.urls)  # ...from memory only


async def test_the_async_render_gives_the_same_document() -> None:
    snapshot = make_snapshot(ONE_LINE, (), language="en")
    pdf = await render_invoice_pdf_async(snapshot, facturx=True)
    assert pypdf.PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"] == [facturx_xml(snapshot)]
    assert "€1,234.56" in pdf_text(pdf)
