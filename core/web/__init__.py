"""The web shell: login, tenant switcher, navigation from enabled modules, and the core's pages."""

from __future__ import annotations

from pathlib import Path

from core.web.pages import PAGES

__all__ = ["PAGES", "TEMPLATES"]

TEMPLATES = Path(__file__).parent / "templates"
