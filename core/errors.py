"""Domain errors: raised by services, turned into RFC 9457 problem details in one place (``core.app``).

Hierarchy::

    DomainError            409 unless a subclass says otherwise
      NotFound             404, also for objects of another tenant (existence is not confirmed)
      InvalidInput         422, with field errors
      Conflict             409
      PermissionDenied     403, only where the caller may know the object exists
      UnsupportedMediaType 415
      TooManyRequests      429
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadCredentials",
    "Conflict",
    "DomainError",
    "FieldError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "TooManyRequests",
    "UnsupportedMediaType",
]

FieldError = dict[str, str]


class DomainError(Exception):
    """A broken business rule, explained well enough for a person to act on it."""

    status: ClassVar[int] = 409
    type: ClassVar[str] = "conflict"
    title: ClassVar[str] = "Conflict"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    type = "not-found"
    title = "Not found"


class InvalidInput(DomainError):
    status = 422
    type = "validation"
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail, extra={"errors": errors or []})
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        """One bad field, named the way the request named it."""
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class Conflict(DomainError):
    status = 409
    type = "conflict"
    title = "Conflict"


class BadCredentials(DomainError):
    status = 401
    type = "bad-credentials"
    title = "Unauthorized"


class PermissionDenied(DomainError):
    status = 403
    type = "forbidden"
    title = "Forbidden"


class UnsupportedMediaType(DomainError):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(DomainError):
    status = 429
    type = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after
