"""How many password guesses a login form lets through, and to whom.

Three limits, each counted before the password is checked, in one short transaction whose counters
stay locked until it ends, so a burst of parallel attempts gets no more through than the limits say:

- per e-mail address and client network (an IPv4 address, an IPv6 /64): ``allowance`` attempts per
  15-minute window;
- per client network, whatever the e-mail: ten times that (an office behind one NAT address), against
  one guess tried on many accounts;
- per e-mail address, from networks its owner has not logged in from in the last 90 days: the first
  ``allowance`` attempts go through, then each waits for the one before: 1 s, 2 s, 4 s... up to
  15 minutes (the exponential lockout of OWASP's Authentication Cheat Sheet). The back-off is
  forgotten after a day without attempts, and ends when the right password comes from a new network.

The account is never locked: its owner, on a network it has logged in from before, is held only by
the first limit, however many addresses an attacker guesses from. A successful login forgives the
failures of its e-mail and network and gives back its place in the network's count.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.engine import Database
from core.errors import TooManyRequests
from core.http.ratelimit import add_hits
from core.models import LoginBackoff, LoginNetwork, RateCounter, User

__all__ = ["Attempt", "admit", "forget_stale", "note_success"]

WINDOW = timedelta(minutes=15)
NETWORK_FACTOR = 10
"""A network may fail this many times an e-mail's allowance, whatever the e-mails."""
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
"""An e-mail's back-off is forgotten after this long without an attempt from a new network."""
USUAL_FOR = timedelta(days=90)
"""A network stays one its user logs in from this long after the last login from it."""
_NEVER_HELD = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt let through to the password check, as counted."""

    email_hash: str
    network: str
    window: int
    through_backoff: bool
    """Whether it came from a network its user does not log in from (and so was held by the back-off)."""

    @property
    def here_key(self) -> str:
        return f"login:{self.email_hash[:32]}:{self.network}"

    @property
    def network_key(self) -> str:
        return f"login-net:{self.network}"


def email_key(email: str) -> tuple[str, str]:
    """The e-mail as it is stored (trimmed, lower case) and its SHA-256, by which any string tried as
    an e-mail is counted, without keeping it."""
    stored = email.strip().lower()
    return stored, hashlib.sha256(stored.encode()).hexdigest()


def backoff_after(failures: int, allowance: int) -> timedelta:
    """The wait before the next attempt after ``failures`` counted ones: none within the allowance,
    then one second, doubling with each attempt, up to ``LONGEST_WAIT``."""
    if failures < allowance:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - allowance, 20)), LONGEST_WAIT)


def _window(moment: datetime) -> tuple[int, int]:
    """The window ``moment`` falls in, numbered by its first minute (as the request rate limit
    numbers its windows, so its housekeeping forgets both), and the seconds left in it."""
    seconds = int(WINDOW.total_seconds())
    epoch = moment.timestamp()
    return int(epoch // seconds) * (seconds // 60), seconds - int(epoch % seconds)


async def admit(database: Database, email: str, network: str, *, allowance: int) -> Attempt:
    """Count a login attempt for ``email`` from ``network``, or refuse it (``TooManyRequests``, with
    the seconds to wait) before its password is checked. A refused attempt is not counted."""
    moment = utcnow()
    window, window_left = _window(moment)
    stored, digest = email_key(email)
    attempt = Attempt(email_hash=digest, network=network, window=window, through_backoff=False)
    async with database.transaction() as session:
        if await add_hits(session, attempt.here_key, window) > allowance:
            raise TooManyRequests(
                "too many failed logins for this e-mail from here; wait before trying again",
                retry_after=window_left,
            )
        if await add_hits(session, attempt.network_key, window) > allowance * NETWORK_FACTOR:
            raise TooManyRequests(
                "too many failed logins from this network; wait before trying again", retry_after=window_left
            )
        if await _is_usual(session, stored, network, moment):
            return attempt
        wait = await _pass_backoff(session, digest, allowance)
        if wait > 0:
            raise TooManyRequests(
                "too many failed logins for this e-mail; wait before trying again", retry_after=wait
            )
    return Attempt(email_hash=digest, network=network, window=window, through_backoff=True)


async def _is_usual(session: AsyncSession, email: str, network: str, moment: datetime) -> bool:
    found = await session.scalar(
        select(LoginNetwork.user_id)
        .join(User, User.id == LoginNetwork.user_id)
        .where(
            User.email == email,
            LoginNetwork.network == network,
            LoginNetwork.last_login_at >= moment - USUAL_FOR,
        )
        .limit(1)
    )
    return found is not None


def _insert(session: AsyncSession) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """``INSERT`` with the dialect's ``ON CONFLICT`` (both spell it the same)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def _pass_backoff(session: AsyncSession, digest: str, allowance: int) -> int:
    """Let an attempt through the e-mail's back-off and set the wait before the next, or return the
    seconds still to wait. The row is locked until the transaction ends (on SQLite the whole database
    is), so concurrent attempts pass one at a time, each judged at the time it got the lock."""
    await session.execute(
        _insert(session)(LoginBackoff)
        .values(email_hash=digest, failures=0, next_attempt_at=_NEVER_HELD, last_attempt_at=utcnow())
        .on_conflict_do_nothing(index_elements=[LoginBackoff.email_hash])
    )
    row = (
        await session.execute(
            select(LoginBackoff.failures, LoginBackoff.next_attempt_at, LoginBackoff.last_attempt_at)
            .where(LoginBackoff.email_hash == digest)
            .with_for_update()
        )
    ).one()
    now = utcnow()
    failures: int = row.failures
    next_attempt_at: datetime = row.next_attempt_at
    if row.last_attempt_at < now - FORGET_AFTER:
        failures = 0
    elif next_attempt_at > now:
        return math.ceil((next_attempt_at - now).total_seconds())
    failures += 1
    wait = backoff_after(failures, allowance)
    await session.execute(
        update(LoginBackoff)
        .where(LoginBackoff.email_hash == digest)
        .values(
            failures=failures,
            # Without a wait, the attempts after this one may go at once, whatever the clocks say.
            next_attempt_at=now + wait if wait else next_attempt_at,
            last_attempt_at=now,
        )
    )
    return 0


async def note_success(session: AsyncSession, attempt: Attempt, user_id: uuid.UUID) -> None:
    """A login with the right password, in the transaction that starts its session: the failures for
    its e-mail from its network are forgiven, its place in the network's count given back, the
    e-mail's back-off ended if it came through it, and its network becomes one the user logs in from."""
    moment = utcnow()
    await session.execute(
        delete(RateCounter).where(RateCounter.key == attempt.here_key, RateCounter.window == attempt.window)
    )
    await session.execute(
        update(RateCounter)
        .where(RateCounter.key == attempt.network_key, RateCounter.window == attempt.window)
        .values(count=RateCounter.count - 1)
    )
    if attempt.through_backoff:
        await session.execute(delete(LoginBackoff).where(LoginBackoff.email_hash == attempt.email_hash))
    await session.execute(
        _insert(session)(LoginNetwork)
        .values(user_id=user_id, network=attempt.network, last_login_at=moment)
        .on_conflict_do_update(
            index_elements=[LoginNetwork.user_id, LoginNetwork.network], set_={"last_login_at": moment}
        )
    )


async def forget_stale(session: AsyncSession, *, now: datetime) -> int:
    """Delete back-offs past ``FORGET_AFTER`` and networks not logged in from for ``USUAL_FOR``;
    returns how many rows went."""
    backoffs = await session.execute(
        delete(LoginBackoff).where(LoginBackoff.last_attempt_at < now - FORGET_AFTER)
    )
    networks = await session.execute(delete(LoginNetwork).where(LoginNetwork.last_login_at < now - USUAL_FOR))
    return int(backoffs.rowcount) + int(networks.rowcount)  # type: ignore[attr-defined]
