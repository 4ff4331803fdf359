"""Problem details (RFC 9457) for every error: from the middleware, before a handler runs, and from
the exception handlers, with a stable ``type`` per kind of error and never a 500 for bad input."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Send
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.errors import DomainError
from core.http.sessions import UNSAFE_METHODS

__all__ = ["PROBLEM", "PROBLEM_BASE", "exception_handlers", "send_problem"]

log = logging.getLogger("coopstack")
PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://coopstack.org/problems/"


async def send_problem(
    send: Send, status: int, kind: str, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Answer with a problem straight from a middleware, before any handler runs."""
    body = msgspec.json.encode(
        {"type": PROBLEM_BASE + kind, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    )
    raw_headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": raw_headers}
    await send(start)
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(chunk)


def _problem(
    status: int,
    kind: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = {
        "type": PROBLEM_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    return Response(content=body, status_code=status, media_type=PROBLEM, headers=headers)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(("/api/", "/schema", "/healthz")) and request.method in (
        "GET",
        "HEAD",
    )


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
    return _problem(exc.status, exc.type, exc.detail, exc.extra, headers)


_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `([^`]*)`$")


def _field_error(item: dict[str, Any]) -> dict[str, str]:
    """One of Litestar's validation messages as a field error; an unknown field is named itself
    (Litestar names the object that holds it, ``data`` for the body)."""
    field = str(item.get("key") or item.get("source") or "body")
    message = str(item.get("message", ""))
    unknown = _UNKNOWN_FIELD.match(message)
    if unknown:
        field = unknown.group(1) if field in ("data", "body") else f"{field}.{unknown.group(1)}"
        message = "unknown or read-only field"
    return {"field": field, "message": message}


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    if isinstance(exc.extra, list):
        # Litestar, re-checking each parameter to name the bad one, also reports parameters the
        # handler does not take (the tenant slug of the path) as a bare KeyError: not the client's error.
        errors = [
            _field_error(item)
            for item in exc.extra
            if isinstance(item, dict) and item.get("message") != repr(item.get("key"))
        ]
    detail = exc.detail if exc.detail and exc.detail != "Bad Request" else "the request is not valid"
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _problem(422 if errors else 400, "validation", detail, {"errors": errors})


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and _wants_page(request):
        return Redirect(path=f"/login?next={request.url.path}")
    kinds = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "body-too-large",
        429: "rate-limited",
    }
    status = exc.status_code
    detail = exc.detail or HTTPStatus(status).phrase
    if status == 404:
        detail = "not found"
    return _problem(status, kinds.get(status, f"http-{status}"), detail, None, exc.headers)


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    log.info("integrity error on %s: %s", request.url.path, exc.orig)
    return _problem(409, "conflict", "the change conflicts with existing data; reload and try again")


def _sqlstate(exc: DBAPIError) -> str:
    for cause in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str):
            return state
    return ""


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A value the database refuses as data (SQLSTATE class 22: a NUL character, a number out of its
    column's range) is the input's fault, not the server's: 422. Anything else is a server error.
    Checks in the services name the field where they can."""
    if isinstance(exc, DataError) or _sqlstate(exc).startswith("22"):
        log.info("data error on %s: %s", request.url.path, exc.orig)
        detail = "the request holds a value the database cannot store or compare"
        return _problem(422, "validation", detail, {"errors": []})
    if exc.connection_invalidated:  # the server dropped the connection mid-request; the pool replaced it
        log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc.orig)
        if request.method in UNSAFE_METHODS:  # it may have been lost after the COMMIT reached the server
            detail = (
                "the connection to the database was lost during the change; check whether it was saved "
                "before sending it again"
            )
            return _problem(503, "unavailable", detail)
        return _problem(
            503, "unavailable", "the connection to the database was lost; retry", headers={"Retry-After": "1"}
        )
    return _internal_error(request, exc)


def _database_busy(request: Request[Any, Any, Any], exc: OperationalError | PoolTimeout) -> Response[Any]:
    """A lock or a connection not had in time (SQLite's busy timeout, the pool's wait): retry later."""
    log.warning("database busy on %s: %s", request.url.path, getattr(exc, "orig", exc))
    return _problem(503, "unavailable", "the database is busy; retry shortly", headers={"Retry-After": "1"})


def _nesting_error(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A JSON body nested deeper than the decoder follows (``[[[[...``, into a field that takes any
    value) is the input's fault: 400. Any other recursion is a server error."""
    if "deserializing" in str(exc):
        return _problem(400, "validation", "the body is nested too deeply", {"errors": []})
    return _internal_error(request, exc)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(500, "internal", "something went wrong on our side; it has been logged")


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    IntegrityError: _integrity_error,
    DBAPIError: _database_error,
    OperationalError: _database_busy,
    PoolTimeout: _database_busy,
    RecursionError: _nesting_error,
    Exception: _internal_error,
}
