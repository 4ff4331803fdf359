"""Documents: Jinja2 templates rendered to HTML, and HTML rendered to PDF by WeasyPrint.

One ``DocumentRenderer`` serves one templates directory (a module's invoice templates, say) and is
meant to live as long as the process: it keeps one WeasyPrint ``FontConfiguration`` and the parsed
``weasyprint.CSS`` of each stylesheet, so later renders skip font set-up and CSS parsing (measured
at about 13 % of a one-page invoice). Documents are set in the core's own font, Coopstack Sans (a
compact DejaVu Sans, ``fonts/``): a PDF looks the same on every install, and WeasyPrint, which subsets
every embedded font on every render, subsets a small file (the full system DejaVu Sans made font
subsetting about half of a one-page render). Elements get their default look from the core's print
user-agent stylesheet (``templates/print-ua.css``) instead of WeasyPrint's browser-like one, whose rules
for forms, bidirectional text and legacy attributes every element was matched against. Every resource a
document names goes through ``AssetFetcher``: only ``data:`` URLs and the files of the template's own
assets directory are ever read.

Rendering is CPU-bound and synchronous. ``render_pdf_async`` moves it to a worker thread so the
event loop keeps answering requests while a PDF is laid out. A thread, not a process: the renderer's
caches (fonts, stylesheets) live in this process, nothing has to be pickled, and a one-page document
takes tens of milliseconds. Threads give no parallel speed-up under the GIL, so renders of one
renderer run one at a time (which also keeps the shared ``FontConfiguration`` single-threaded); work
that needs throughput (a batch of statements) belongs in a background job with its own processes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import jinja2
import weasyprint
from weasyprint.html import UA_FORM_STYLESHEET
from weasyprint.text.fonts import FontConfiguration

from core.documents.fetcher import AssetFetcher
from core.money import format_money

__all__ = [
    "BASE_STYLESHEET",
    "FONTS_DIR",
    "PRINT_UA_STYLESHEET",
    "DocumentRenderer",
    "PrintHTML",
    "font_faces_css",
    "render_pdf_async",
]

BASE_STYLESHEET = Path(__file__).parent / "templates" / "base.css"
"""The core's print stylesheet (page size, margins, fonts, page numbers), applied first."""
PRINT_UA_STYLESHEET = Path(__file__).parent / "templates" / "print-ua.css"
"""What elements look like before any stylesheet: the user-agent stylesheet of every document."""
FONTS_DIR = Path(__file__).parent / "fonts"
_FACES: tuple[tuple[str, str, str], ...] = (
    ("Regular", "normal", "normal"),
    ("Bold", "bold", "normal"),
    ("Oblique", "normal", "italic"),
    ("BoldOblique", "bold", "italic"),
)


def font_faces_css() -> str:
    """``@font-face`` rules for Coopstack Sans, naming its files by absolute ``file:`` URL."""
    return "".join(
        f'@font-face {{ font-family: "Coopstack Sans"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(FONTS_DIR / f"CoopstackSans-{name}.ttf").as_uri()}"); }}\n'
        for name, weight, style in _FACES
    )


_PRINT_UA = weasyprint.CSS(string=PRINT_UA_STYLESHEET.read_text(encoding="utf-8"))


class PrintHTML(weasyprint.HTML):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """A WeasyPrint HTML document whose user-agent stylesheet is the core's print one.

    WeasyPrint asks the document for its user-agent stylesheets (its own test suite replaces them the
    same way); ``tests/core/test_documents.py`` checks that the installed WeasyPrint still does."""

    def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
        return [_PRINT_UA, UA_FORM_STYLESHEET] if forms else [_PRINT_UA]


def _money(amount: Decimal, currency: str, locale: str = "en") -> str:
    return format_money(amount, currency, locale)


class DocumentRenderer:
    """Render the templates of one directory to HTML and to PDF, reusing fonts and stylesheets.

    ``templates_dir`` holds the Jinja2 templates; ``assets_dir`` (default ``templates_dir/assets``)
    holds the images, fonts and stylesheets a document may embed, and is the base URL of the HTML,
    so ``<img src="logo.png">`` names ``assets_dir/logo.png``. ``stylesheets`` are applied to every
    PDF after the core's ``base.css`` (unless ``base_stylesheet=False``); a relative name is taken
    from ``templates_dir``. ``strict=True`` makes a refused or failed fetch stop the rendering
    (tests, template development) instead of leaving the resource out.
    """

    def __init__(
        self,
        templates_dir: Path,
        *,
        assets_dir: Path | None = None,
        stylesheets: Sequence[str | Path] = (),
        base_stylesheet: bool = True,
        strict: bool = False,
    ) -> None:
        self.templates_dir = templates_dir.resolve()
        self.assets_dir = (assets_dir or self.templates_dir / "assets").resolve()
        self.fetcher = AssetFetcher(self.assets_dir, strict=strict)
        self.font_config = FontConfiguration()
        self._default_stylesheets = [*([BASE_STYLESHEET] if base_stylesheet else []), *stylesheets]
        self._css: dict[Path, tuple[int, Any]] = {}
        self._fonts = weasyprint.CSS(
            string=font_faces_css(), url_fetcher=AssetFetcher(FONTS_DIR), font_config=self.font_config
        )
        self._render_lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        # The base URL ends with "/" so that relative URLs resolve inside the assets directory.
        self._base_url = self.assets_dir.as_uri() + "/"
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=True,  # tenant data (names, notes) is text, never markup
            undefined=jinja2.StrictUndefined,  # a misspelt field fails loudly instead of printing ""
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["money"] = _money

    def render_html(self, template: str, context: Mapping[str, Any]) -> str:
        """The HTML of ``template`` filled with ``context`` (every value autoescaped)."""
        return self.environment.get_template(template).render(context)

    def html_to_pdf(
        self,
        html: str,
        *,
        stylesheets: Sequence[str | Path] = (),
        pdf_options: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Lay out ``html`` and return the PDF bytes; resources only through the asset fetcher.

        ``pdf_options`` are passed to WeasyPrint's ``write_pdf`` (``pdf_variant``, ``attachments``,
        ``xmp_metadata``, ...: see ``weasyprint.DEFAULT_OPTIONS``); the stylesheets and the font
        configuration stay the renderer's own.
        """
        options = dict(pdf_options or {})
        if "stylesheets" in options or "font_config" in options:
            raise ValueError("stylesheets and fonts are the renderer's own; pass stylesheets= instead")
        document = PrintHTML(string=html, base_url=self._base_url, url_fetcher=self.fetcher)
        with self._render_lock:  # the FontConfiguration and the CSS cache are used by one thread at a time
            sheets = [self._fonts]
            sheets += [self._stylesheet(name) for name in (*self._default_stylesheets, *stylesheets)]
            pdf = document.write_pdf(stylesheets=sheets, font_config=self.font_config, **options)
        return bytes(pdf)  # write_pdf returns the bytes when no target is given

    def render_pdf(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        stylesheets: Sequence[str | Path] = (),
        pdf_options: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Fill ``template`` and lay it out as a PDF (synchronous, CPU-bound)."""
        return self.html_to_pdf(
            self.render_html(template, context), stylesheets=stylesheets, pdf_options=pdf_options
        )

    async def render_pdf_async(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        stylesheets: Sequence[str | Path] = (),
        pdf_options: Mapping[str, Any] | None = None,
    ) -> bytes:
        """``render_pdf`` in a worker thread, so the event loop is not blocked while it runs.

        At most one render of this renderer occupies a thread; others wait in the event loop rather
        than in blocked threads of the shared pool.
        """

        def work() -> bytes:
            return self.render_pdf(template, context, stylesheets=stylesheets, pdf_options=pdf_options)

        return await anyio.to_thread.run_sync(work, limiter=self._limiter)

    def _stylesheet(self, name: str | Path) -> Any:
        """The parsed ``weasyprint.CSS`` of a stylesheet file, cached until the file changes.

        The file is read here, from a path the code names (never a URL from a document); URLs inside
        it (``url(...)``) resolve against the assets directory and go through the asset fetcher.
        Called with the render lock held.
        """
        path = Path(name)
        if not path.is_absolute():
            path = self.templates_dir / path
        path = path.resolve(strict=True)
        stamp = path.stat().st_mtime_ns
        cached = self._css.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        css = weasyprint.CSS(
            string=path.read_text(encoding="utf-8"),
            base_url=self._base_url,
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        self._css[path] = (stamp, css)
        return css


async def render_pdf_async(
    renderer: DocumentRenderer,
    template: str,
    context: Mapping[str, Any],
    *,
    stylesheets: Sequence[str | Path] = (),
) -> bytes:
    """Render ``template`` to PDF with ``renderer`` off the event loop (see the module docstring)."""
    return await renderer.render_pdf_async(template, context, stylesheets=stylesheets)
