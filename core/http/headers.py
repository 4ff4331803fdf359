"""Headers every answer carries, whoever wrote it (a handler, an error handler or a middleware's
problem answer): what a browser must refuse on the install's behalf."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PAGE_POLICY", "SecurityHeadersMiddleware"]

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
"""Scripts only from the install itself (htmx); inline style attributes stay allowed. No page may be
framed (clickjacking), post a form elsewhere, or load plugins."""

_EVERY_ANSWER = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # page addresses carry ids: never to other sites
)
_PAGES = (
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
)
_NOT_PAGES = ("/api/", "/schema", "/static/", "/healthz")
"""The API (JSON), the API docs (which load their own viewer) and static files are not pages."""


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        extra = _EVERY_ANSWER if scope["path"].startswith(_NOT_PAGES) else _EVERY_ANSWER + _PAGES

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in extra if header[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
