"""The only way a document may reach a resource: ``data:`` URLs and its own assets directory.

WeasyPrint fetches every URL a document names (images, stylesheets, fonts, ``<link rel=attachment>``,
SVG references) with the document's URL fetcher, and its default fetcher follows ``http``, ``https``,
``ftp`` and ``file`` URLs. Tenant-supplied text reaches our HTML (names, notes, logos), so a document
that names ``file:///etc/passwd`` or an internal address could leak a local file into the PDF or make
the server send requests for an attacker. ``AssetFetcher`` therefore refuses every URL except:

- ``data:`` URLs (decoded in memory, no I/O), and
- ``file:`` URLs whose resolved path is a regular file inside the template's assets directory; the
  fetcher reads the file itself. Resolving follows symlinks and removes ``..``, so neither can point
  out of the directory.

A refused URL raises ``RefusedURL``; WeasyPrint catches it, logs it and leaves the resource out. With
``strict=True`` (tests, template development) a refusal stops the rendering instead.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["MAX_ASSET_BYTES", "AssetFetcher", "RefusedURL"]

MAX_ASSET_BYTES = 20 * 1024 * 1024
"""The largest asset a document may embed: a bound on memory, not a layout rule."""


class RefusedURL(ValueError):
    """A document named a URL it may not fetch (network, or a file outside its assets)."""


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
    """A WeasyPrint URL fetcher limited to ``data:`` URLs and files inside ``assets_dir``.

    The parent class is kept for the ``fetch``/``__call__`` protocol WeasyPrint expects; its network
    handlers are never reached, because ``fetch`` below answers or refuses every URL itself, and the
    parent is configured to allow only ``data:`` without redirects should it ever be called.
    """

    def __init__(self, assets_dir: Path | None, *, strict: bool = False) -> None:
        super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=strict)
        self.assets_dir = assets_dir.resolve() if assets_dir is not None else None

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """Answer ``url`` from memory or the assets directory, or raise ``RefusedURL``."""
        scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._asset(url)
        raise RefusedURL(f"documents may not fetch {scheme or 'relative'} URLs: {url[:200]}")

    def _asset(self, url: str) -> Any:
        path = self.asset_path(url)
        if path is None:
            raise RefusedURL(f"documents may only read files inside their assets directory: {url[:200]}")
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": content_type})

    def asset_path(self, url: str) -> Path | None:
        """The file a ``file:`` URL names, if it is a regular file inside the assets directory."""
        if self.assets_dir is None:
            return None
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None  # missing file, symlink loop, NUL in the path
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            return None
        if path.stat().st_size > MAX_ASSET_BYTES:
            return None
        return path
