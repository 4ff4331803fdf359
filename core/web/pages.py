"""Page handlers of the core: the web shell (login, start page, API tokens) and a co-op's own pages,
under one router whose errors are HTML pages."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from core.web.account_pages import ACCOUNT_PAGES
from core.web.admin_pages import ADMIN_PAGES
from core.web.dashboard import DASHBOARD_PAGES
from core.web.membership_pages import MEMBERSHIP_PAGES
from core.web.party_pages import PARTY_PAGES
from core.web.shell import page_exception_handlers

__all__ = ["PAGES"]

PAGES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        route_handlers=[*ACCOUNT_PAGES, *DASHBOARD_PAGES, *PARTY_PAGES, *MEMBERSHIP_PAGES, *ADMIN_PAGES],
        exception_handlers=page_exception_handlers,
        include_in_schema=False,
    )
]
