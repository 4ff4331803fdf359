"""Documents: templates become PDFs with real WeasyPrint, and a document reaches nothing it names
except ``data:`` URLs and its own assets (no network, no local files)."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pypdf
import pytest
import weasyprint
from PIL import Image
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from core.documents import AssetFetcher, DocumentRenderer, RefusedURL, render_pdf_async
from core.documents.render import PrintHTML

PASSWD = Path("/etc/passwd")
HEAD = '<!doctype html><html><head><meta charset="utf-8"><title>Doc</title></head><body>'
TAIL = "</body></html>"


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def write_template(directory: Path, name: str, body: str) -> str:
    (directory / name).write_text(HEAD + body + TAIL, encoding="utf-8")
    return name


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_images(pdf: bytes) -> int:
    """Image XObjects anywhere in the file (page images and the patterns of CSS backgrounds)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    count = 0
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, pypdf.generic.StreamObject) and obj.get("/Subtype") == "/Image":
            count += 1
    return count


def pdf_attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).attachments)


def assert_nothing_leaked(pdf: bytes) -> None:
    """Neither the text, the attachments nor the raw bytes carry the local file."""
    assert b"root:" not in pdf
    assert "root:" not in pdf_text(pdf)
    assert pdf_attachments(pdf) == {}
    assert pdf_images(pdf) == 0


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    directory = tmp_path / "templates"
    (directory / "assets").mkdir(parents=True)
    return directory


@pytest.fixture
def renderer(templates: Path) -> DocumentRenderer:
    return DocumentRenderer(templates)


class Canary:
    """A local HTTP server that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b"h1 { color: red }"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    with Canary() as server:
        yield server


def test_a_template_renders_to_a_pdf_carrying_its_text(renderer: DocumentRenderer, templates: Path) -> None:
    name = write_template(templates, "invoice.html", "<h1>Invoice {{ number }}</h1><p>{{ party }}</p>")
    pdf = renderer.render_pdf(name, {"number": "INV-2026-00042", "party": "Fromagerie Coop"})
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Invoice INV-2026-00042" in text
    assert "Fromagerie Coop" in text
    assert "1 / 1" in text  # the core's base.css numbers the pages


def test_elements_keep_their_printed_look(renderer: DocumentRenderer, templates: Path) -> None:
    """With the core's print user-agent stylesheet: list markers, hidden elements, line breaks, and
    headings as PDF bookmarks, as a browser-like default would give them."""
    name = write_template(
        templates,
        "elements.html",
        "<h1>Statement</h1><h2>Lines</h2><ul><li>Apples</li></ul><ol><li>Pears</li><li>Plums</li></ol>"
        "<p hidden>Internal note</p><p>first<br>second</p><table><tr><th>Head</th><td>Cell</td></tr></table>",
    )
    pdf = renderer.render_pdf(name, {})
    lines = [line.strip() for line in pdf_text(pdf).splitlines()]
    assert {"Apples", "Pears", "Plums", "•", "1.", "2."} <= set(lines)  # markers come out apart
    assert "first" in lines and "second" in lines
    assert "Internal note" not in pdf_text(pdf)
    outline = pypdf.PdfReader(io.BytesIO(pdf)).outline
    assert outline[0].title == "Statement" and outline[1][0].title == "Lines"


def test_weasyprint_takes_the_documents_user_agent_stylesheet() -> None:
    """The renderer's documents replace WeasyPrint's default stylesheet through the hook WeasyPrint
    asks; an upgrade that stops asking must fail here, not silently render slower."""
    asked: list[bool] = []

    class Watched(PrintHTML):
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            asked.append(forms)
            return super()._ua_stylesheets(forms)

    Watched(string=HEAD + "<p>x</p>" + TAIL).write_pdf()
    assert asked == [None]  # no form fields asked for


def _embedded_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_documents_embed_the_shipped_font_in_every_style(renderer: DocumentRenderer, templates: Path) -> None:
    """The same fonts on every install, whatever the system has: the PDF embeds Coopstack Sans only."""
    name = write_template(
        templates,
        "styles.html",
        "<p>Łódź Ærøskøbing Ελλάδα Київ 1 234,56 €</p><p><b>bold</b> <i>italic</i></p>",
    )
    fonts = _embedded_fonts(renderer.render_pdf(name, {}))
    assert fonts == {"Coopstack-Sans", "Coopstack-Sans-Bold", "Coopstack-Sans-Italic"}
    text = pdf_text(renderer.render_pdf(name, {}))
    assert "Łódź Ærøskøbing Ελλάδα Київ 1 234,56 €" in text


def test_user_data_is_autoescaped(renderer: DocumentRenderer, templates: Path) -> None:
    name = write_template(templates, "party.html", "<h1>{{ party }}</h1>")
    party = '<script>alert(1)</script><img src="file:///etc/passwd">'
    html = renderer.render_html(name, {"party": party})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<img" not in html
    pdf = renderer.html_to_pdf(html)
    assert "<script>alert(1)</script>" in pdf_text(pdf)  # shown as text, not run as markup
    assert pdf_images(pdf) == 0


def test_a_missing_field_fails_instead_of_printing_nothing(
    renderer: DocumentRenderer, templates: Path
) -> None:
    name = write_template(templates, "strict.html", "<p>{{ total }}</p>")
    with pytest.raises(Exception, match="total"):
        renderer.render_html(name, {})


def test_the_money_filter_rounds_to_the_currency(renderer: DocumentRenderer, templates: Path) -> None:
    name = write_template(templates, "total.html", "<p>{{ total | money('EUR', 'fr') }}</p>")
    assert "1\u202f234,57\xa0€" in renderer.render_html(name, {"total": Decimal("1234.565")})


def test_local_files_are_neither_embedded_nor_attached(renderer: DocumentRenderer, templates: Path) -> None:
    assert "root:" in PASSWD.read_text()
    body = """
      <h1>Statement</h1>
      <img src="file:///etc/passwd">
      <img src="/etc/passwd">
      <link rel="attachment" href="file:///etc/passwd" title="passwd">
      <a rel="attachment" href="file:///etc/passwd">passwd</a>
      <link rel="stylesheet" href="file:///etc/passwd">
      <object data="file:///etc/passwd"></object>
      <embed src="file:///etc/passwd">
      <div style="background: url(file:///etc/passwd)">x</div>
      <style>@font-face { font-family: Leak; src: url(file:///etc/passwd) }
             p { font-family: Leak }</style>
      <p>Body</p>
    """
    pdf = renderer.render_pdf(write_template(templates, "leak.html", body), {})
    assert "Statement" in pdf_text(pdf)
    assert_nothing_leaked(pdf)


def test_the_leak_check_would_see_an_attached_file() -> None:
    """Control: WeasyPrint's default fetcher does attach the file, so the check above can fail."""
    html = HEAD + '<link rel="attachment" href="file:///etc/passwd"><p>x</p>' + TAIL
    pdf = weasyprint.HTML(string=html, url_fetcher=URLFetcher()).write_pdf()
    attached = pdf_attachments(pdf)
    assert attached and any(b"root:" in content for contents in attached.values() for content in contents)


def test_no_request_leaves_for_any_network_url(
    renderer: DocumentRenderer, templates: Path, canary: Canary
) -> None:
    base = canary.url
    body = f"""
      <h1>Report</h1>
      <img src="{base}/canary/img">
      <link rel="stylesheet" href="{base}/canary/css">
      <link rel="attachment" href="{base}/canary/attachment">
      <style>
        @import url("{base}/canary/import");
        @font-face {{ font-family: Remote; src: url("{base}/canary/font") }}
        h1 {{ font-family: Remote; background: url("{base}/canary/background") }}
      </style>
      <img src="https://127.0.0.1:{base.rsplit(":", 1)[1]}/canary/https">
      <img src="ftp://127.0.0.1/canary/ftp">
      <svg width="10" height="10"><image href="{base}/canary/svg" width="10" height="10"/></svg>
    """
    pdf = renderer.render_pdf(write_template(templates, "net.html", body), {})
    assert "Report" in pdf_text(pdf)
    assert canary.requests == []
    assert pdf_attachments(pdf) == {}


def test_the_canary_hears_the_default_fetcher(canary: Canary) -> None:
    """Control: the same server is reachable, so silence above means nothing was asked."""
    html = HEAD + f'<link rel="stylesheet" href="{canary.url}/canary/css"><h1>x</h1>' + TAIL
    weasyprint.HTML(string=html, url_fetcher=URLFetcher(timeout=5)).write_pdf()
    assert canary.requests == ["/canary/css"]


def test_an_image_in_the_assets_directory_is_embedded(renderer: DocumentRenderer, templates: Path) -> None:
    (templates / "assets" / "logo.png").write_bytes(png())
    with_logo = write_template(templates, "logo.html", '<h1>Co-op</h1><img src="logo.png">')
    absolute = write_template(
        templates,
        "absolute.html",
        f'<h1>Co-op</h1><img src="{(templates / "assets" / "logo.png").as_uri()}">',
    )
    without = write_template(templates, "plain.html", "<h1>Co-op</h1>")
    pdf_with = renderer.render_pdf(with_logo, {})
    pdf_without = renderer.render_pdf(without, {})
    assert pdf_images(pdf_with) == 1
    assert pdf_images(renderer.render_pdf(absolute, {})) == 1
    assert pdf_images(pdf_without) == 0
    assert len(pdf_with) > len(pdf_without)


def test_data_urls_are_allowed(renderer: DocumentRenderer, templates: Path) -> None:
    logo = "data:image/png;base64," + base64.b64encode(png()).decode()
    name = write_template(templates, "data.html", '<h1>Co-op</h1><img src="{{ logo }}">')
    assert pdf_images(renderer.render_pdf(name, {"logo": logo})) == 1


def test_paths_out_of_the_assets_directory_are_refused(renderer: DocumentRenderer, templates: Path) -> None:
    """A real image outside the assets, reached by ``..`` or by a symlink, is not embedded."""
    outside = templates / "outside.png"
    outside.write_bytes(png((0, 0, 255)))
    (templates / "assets" / "link.png").symlink_to(outside)
    (templates / "assets" / "dir-link").symlink_to(templates)
    body = """
      <h1>Escapes</h1>
      <img src="../outside.png">
      <img src="sub/../../outside.png">
      <img src="%2e%2e/outside.png">
      <img src="link.png">
      <img src="dir-link/outside.png">
      <img src="file://localhost{{ outside }}">
    """
    name = write_template(templates, "escape.html", body)
    pdf = renderer.render_pdf(name, {"outside": str(outside)})
    assert "Escapes" in pdf_text(pdf)
    assert pdf_images(pdf) == 0
    # Control: WeasyPrint's default fetcher follows every one of these paths.
    html = renderer.render_html(name, {"outside": str(outside)})
    base_url = (templates / "assets").as_uri() + "/"
    unsafe = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=URLFetcher()).write_pdf()
    assert pdf_images(unsafe) >= 1


def test_the_fetcher_answers_only_data_and_asset_files(templates: Path) -> None:
    asset = templates / "assets" / "style.css"
    asset.write_text("p { color: red }")
    fetcher = AssetFetcher(templates / "assets")
    response = fetcher.fetch(asset.as_uri())
    assert response.read() == b"p { color: red }" and response.content_type == "text/css"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    refused = [
        "file:///etc/passwd",
        f"file://{templates}/assets/../../../../etc/passwd",
        f"file://otherhost{asset}",
        f"file://{templates}/assets",  # a directory, not a file
        f"file://{templates}/assets/missing.css",
        "http://127.0.0.1:1/x",
        "https://example.test/x",
        "ftp://example.test/x",
        "gopher://example.test/x",
        "jar:file:///etc/passwd!/x",
        "relative.css",
    ]
    for url in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    with pytest.raises(RefusedURL):
        AssetFetcher(None).fetch(asset.as_uri())


def test_strict_mode_stops_at_a_refused_url(templates: Path) -> None:
    strict = DocumentRenderer(templates, strict=True)
    name = write_template(templates, "strict.html", '<h1>x</h1><img src="file:///etc/passwd">')
    with pytest.raises(FatalURLFetchingError):
        strict.render_pdf(name, {})


def test_stylesheets_are_parsed_once_and_reparsed_when_changed(
    renderer: DocumentRenderer, templates: Path
) -> None:
    sheet = templates / "doc.css"
    sheet.write_text('h1::after { content: " FIRST" }')
    name = write_template(templates, "styled.html", "<h1>Title</h1>")
    assert "Title FIRST" in pdf_text(renderer.render_pdf(name, {}, stylesheets=["doc.css"]))
    parsed = renderer._stylesheet("doc.css")
    assert renderer._stylesheet("doc.css") is parsed
    renderer.render_pdf(name, {}, stylesheets=["doc.css"])
    assert renderer._stylesheet("doc.css") is parsed
    sheet.write_text('h1::after { content: " SECOND" }')
    stat = sheet.stat()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert "Title SECOND" in pdf_text(renderer.render_pdf(name, {}, stylesheets=["doc.css"]))


def test_urls_inside_a_stylesheet_go_through_the_fetcher(
    renderer: DocumentRenderer, templates: Path, canary: Canary
) -> None:
    (templates / "assets" / "bg.png").write_bytes(png())
    (templates / "doc.css").write_text(
        f'h1 {{ background: url("{canary.url}/canary/css-bg") }} div {{ background: url(bg.png) }}'
        f" p {{ background: url(file:///etc/passwd) }}"
    )
    name = write_template(templates, "bg.html", '<h1>Title</h1><div style="height: 20px">x</div><p>p</p>')
    pdf = renderer.render_pdf(name, {}, stylesheets=["doc.css"])
    assert canary.requests == []
    assert pdf_images(pdf) == 1  # the asset, and only the asset
    assert b"root:" not in pdf


async def test_render_pdf_async_runs_off_the_event_loop(renderer: DocumentRenderer, templates: Path) -> None:
    name = write_template(templates, "async.html", "<h1>{{ title }}</h1>{% set _ = seen(title) %}")
    threads: dict[str, int] = {}

    def seen(title: str) -> str:
        threads[title] = threading.get_ident()
        return ""

    pdfs = await asyncio.gather(
        *(render_pdf_async(renderer, name, {"title": f"Async {n}", "seen": seen}) for n in range(3))
    )
    assert [pdf_text(pdf).splitlines()[0] for pdf in pdfs] == ["Async 0", "Async 1", "Async 2"]
    assert len(threads) == 3
    assert threading.get_ident() not in threads.values()  # rendered in worker threads, not on the loop
