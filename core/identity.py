"""Users, passwords, browser sessions and API tokens.

Passwords are hashed with argon2id (OWASP's 19 MiB, t=2 profile by default) and re-hashed on login
when the parameters rise. A login's hashing runs in a worker thread (argon2 releases the GIL), at most
one per CPU at once: on the event loop it stalled every other request of the process for its duration.
Session cookies and API tokens are 256-bit random values; the database keeps only their SHA-256, so a
stolen backup opens no account. API tokens start with ``coop_`` so scanners can spot a leaked one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.engine import Database
from core.errors import Conflict, InvalidInput, NotFound
from core.models import ApiToken, User, UserSession
from core.settings import Settings

__all__ = [
    "Credential",
    "CurrentUser",
    "create_api_token",
    "create_session",
    "create_user",
    "end_session",
    "find_user",
    "hash_secret",
    "make_hasher",
    "rehash_if_needed",
    "revoke_api_token",
    "session_credential",
    "token_credential",
    "verify_login",
]

TOKEN_PREFIX = "coop_"  # noqa: S105 - a marker that makes leaked tokens recognisable, not a secret
_DUMMY_HASH: dict[int, str] = {}
_HASHING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = weakref.WeakKeyDictionary()
_T = TypeVar("_T")


async def _hashing(work: Callable[..., _T], *args: Any) -> _T:
    """Run ``work`` (an argon2 call: ~20 MiB and tens of milliseconds each) in a worker thread, at most
    one per CPU at once, so a burst of logins neither stalls the event loop nor piles up memory."""
    loop = asyncio.get_running_loop()
    limiter = _HASHING.get(loop)
    if limiter is None:
        limiter = _HASHING[loop] = CapacityLimiter(os.cpu_count() or 2)
    return await anyio.to_thread.run_sync(work, *args, limiter=limiter)


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The authenticated user of a request."""

    id: uuid.UUID
    email: str
    name: str
    via_token: bool = False
    token_id: uuid.UUID | None = None
    token_tenant_id: uuid.UUID | None = None
    """A token limited to one tenant: elsewhere the user acts as if it had no role."""
    read_only: bool = False
    token_used_at: datetime | None = None


def make_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib, parallelism=1
    )


def hash_secret(secret: str) -> str:
    """SHA-256 of a random token (tokens are not guessable, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise InvalidInput.field("email", f"{email!r} is not an e-mail address")
    return email


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput.field("password", "must be at least 10 characters long")
    if len(password) > 1024:
        raise InvalidInput.field("password", "must be at most 1024 characters long")


async def create_user(
    session: AsyncSession, hasher: PasswordHasher, *, email: str, name: str, password: str
) -> User:
    """Register a user; e-mail addresses are unique regardless of case."""
    email = normalise_email(email)
    if not name.strip():
        raise InvalidInput.field("name", "must not be empty")
    check_password_strength(password)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists")
    user = User(email=email, name=name.strip(), password_hash=hasher.hash(password))
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"a user with e-mail {email} already exists") from None
    return user


def _matches(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_login(database: Database, hasher: PasswordHasher, email: str, password: str) -> User | None:
    """The user whose password this is, or None; takes the same time whether the user exists or not.

    The user is read in a read session of its own, closed before the password is hashed: no
    transaction (on SQLite, the database's one write lock) and no pooled connection waits for the hash,
    nor for a turn to hash when a burst of logins queues for one."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        return None
    async with database.session(write=False) as session:
        user = await session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        key = id(hasher)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = await _hashing(hasher.hash, secrets.token_hex(8))
        await _hashing(_matches, hasher, _DUMMY_HASH[key], password)
        return None
    if not await _hashing(_matches, hasher, user.password_hash, password):
        return None
    return user


async def rehash_if_needed(session: AsyncSession, hasher: PasswordHasher, user: User, password: str) -> None:
    """Store the password hashed with the current parameters when they have risen since it was set;
    hashed before the write, so the write transaction does not wait for it."""
    if hasher.check_needs_rehash(user.password_hash):
        new_hash = await _hashing(hasher.hash, password)
        await session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))


async def create_session(session: AsyncSession, user: User, *, days: int) -> str:
    """Start a browser session; returns the cookie value (shown to nobody else)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=hash_secret(token), user_id=user.id, expires_at=utcnow() + timedelta(days=days)
        )
    )
    await session.flush()
    return token


async def end_session(session: AsyncSession, token: str) -> None:
    row = await session.get(UserSession, hash_secret(token))
    if row is not None:
        await session.delete(row)


# Built once: a statement built per request, and keyed anew for the compiled cache, cost more than
# the query (every API request runs one of these).
_BY_TOKEN = (
    select(
        User.id,
        User.email,
        User.name,
        ApiToken.id.label("token_id"),
        ApiToken.only_tenant_id.label("token_tenant_id"),
        ApiToken.read_only,
        ApiToken.last_used_at,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
        User.is_active,
    )
)
_BY_SESSION = (
    select(User.id, User.email, User.name)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        UserSession.token_hash == bindparam("token_hash"),
        UserSession.expires_at > bindparam("now"),
        User.is_active,
    )
)


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential a request presents: the statement that finds its user (columns ``id``, ``email``,
    ``name``; more may be joined to it) and the statement's parameters."""

    statement: Select[*tuple[Any, ...]]
    params: dict[str, Any]
    via_token: bool

    def user(self, row: Any) -> CurrentUser:
        if not self.via_token:
            return CurrentUser(id=row.id, email=row.email, name=row.name)
        return CurrentUser(
            id=row.id,
            email=row.email,
            name=row.name,
            via_token=True,
            token_id=row.token_id,
            token_tenant_id=row.token_tenant_id,
            read_only=row.read_only,
            token_used_at=row.last_used_at,
        )


def token_credential(token: str, *, now: datetime) -> Credential | None:
    """An API token's credential, until it expires; None for a string that cannot be one of ours."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return Credential(_BY_TOKEN, {"token_hash": hash_secret(token), "now": now}, via_token=True)


USE_NOTED_EVERY = timedelta(minutes=5)
"""How stale a token's ``last_used_at`` may get: noting every use would be a write per request."""


def token_use_due(user: CurrentUser, *, now: datetime) -> bool:
    """Whether ``user``'s token use should be noted: a token whose last use is unknown or older than
    ``USE_NOTED_EVERY``."""
    return user.token_id is not None and (
        user.token_used_at is None or now - user.token_used_at >= USE_NOTED_EVERY
    )


async def note_token_use(session: AsyncSession, user: CurrentUser, *, now: datetime) -> None:
    """Record that ``user``'s token was used at ``now`` (``last_used_at``), in ``session``'s transaction."""
    await session.execute(update(ApiToken).where(ApiToken.id == user.token_id).values(last_used_at=now))


def session_credential(token: str, *, now: datetime) -> Credential:
    """A browser session cookie's credential, valid until the session expires."""
    return Credential(_BY_SESSION, {"token_hash": hash_secret(token), "now": now}, via_token=False)


async def find_user(session: AsyncSession, credential: Credential | None) -> CurrentUser | None:
    if credential is None:
        return None
    row = (await session.execute(credential.statement, credential.params)).first()
    return credential.user(row) if row else None


MAX_TOKEN_DAYS = 3650


async def create_api_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    name: str,
    *,
    tenant_id: uuid.UUID | None = None,
    read_only: bool = False,
    days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user_id``; the secret is returned once and never stored. ``tenant_id``
    limits it to one tenant, ``read_only`` to reading, ``days`` its life (else until revoked)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput.field("name", "must be 1 to 100 characters")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput.field("expires_in_days", f"must be 1 to {MAX_TOKEN_DAYS} days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        name=name,
        prefix=secret[:12],
        token_hash=hash_secret(secret),
        only_tenant_id=tenant_id,
        read_only=read_only,
        expires_at=utcnow() + timedelta(days=days) if days is not None else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def list_api_tokens(session: AsyncSession, user_id: uuid.UUID) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    return list(result)


async def revoke_api_token(session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Revoke one of the user's own tokens; another user's token is 'not found'."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("no such API token")
