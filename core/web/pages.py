"""Page handlers of the core (filled in by the web shell)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

PAGES: list[ControllerRouterHandler] = []
