"""Documents: Jinja2 templates rendered to PDF by WeasyPrint, never fetching what a document names.

``DocumentRenderer`` fills a template (autoescaped) and lays the HTML out as a PDF, reusing fonts and
parsed stylesheets across renders; ``render_pdf_async`` does it off the event loop. ``AssetFetcher``
is the only way a document reaches a resource: ``data:`` URLs and files inside its assets directory.
"""

from core.documents.fetcher import MAX_ASSET_BYTES, AssetFetcher, RefusedURL
from core.documents.render import (
    BASE_STYLESHEET,
    FONTS_DIR,
    DocumentRenderer,
    font_faces_css,
    render_pdf_async,
)

__all__ = [
    "BASE_STYLESHEET",
    "FONTS_DIR",
    "MAX_ASSET_BYTES",
    "AssetFetcher",
    "DocumentRenderer",
    "RefusedURL",
    "font_faces_css",
    "render_pdf_async",
]
