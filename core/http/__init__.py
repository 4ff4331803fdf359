"""HTTP plumbing shared by every route, by concern: who is asking (``auth``, ``access``), the body
(``body``), rate limits (``ratelimit``), the request's session (``sessions``), headers every answer carries
(``headers``), what handlers are given
(``providers``) and problem details for every error (``problems``). Here: what the application
factory wires."""

from core.http.auth import AuthMiddleware, requires_user
from core.http.headers import SecurityHeadersMiddleware
from core.http.problems import exception_handlers
from core.http.providers import provide_db, provide_public_tenant, provide_tenant_context
from core.http.ratelimit import RateLimitMiddleware

__all__ = [
    "AuthMiddleware",
    "RateLimitMiddleware",
    "SecurityHeadersMiddleware",
    "exception_handlers",
    "provide_db",
    "provide_public_tenant",
    "provide_tenant_context",
    "requires_user",
]
