"""Memberships of the tenant co-op's parties, their classes and member numbers.

A membership moves applicant → active ⇄ suspended → left; admission gives the next member number of the
tenant's membership series, so numbers follow the order in which members were admitted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events, sequences
from core.db.lookup import fetch
from core.errors import Conflict, InvalidInput
from core.models import Membership, MembershipClass, Party
from core.pagination import Page, paginate
from core.parties import get_party, search_parties
from core.party_events import (
    MEMBERSHIP_CREATED,
    MEMBERSHIP_STATUS_EVENTS,
    MembershipCreated,
    MembershipStatusChanged,
)
from core.text import check_text

__all__ = [
    "MEMBERSHIP_STATUSES",
    "MEMBER_PATTERN",
    "MEMBER_SERIES",
    "change_membership_status",
    "create_class",
    "create_membership",
    "ensure_default_class",
    "get_membership",
    "list_classes",
    "list_memberships",
    "withdraw_application",
]

MEMBERSHIP_STATUSES = ("applicant", "active", "suspended", "left")
_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "applicant": ("active", "left"),
    "active": ("suspended", "left"),
    "suspended": ("active", "left"),
    "left": (),
}
MEMBER_SERIES = "membership"
MEMBER_PATTERN = "M{number:05d}"


async def withdraw_application(
    session: AsyncSession, membership_id: uuid.UUID, *, actor_id: uuid.UUID | None
) -> None:
    """Delete a membership that is still an application (never admitted, so it has no number)."""
    membership = await get_membership(session, membership_id)
    if membership.status != "applicant":
        raise Conflict(
            f"a membership that is {membership.status} is not deleted; record that the member left"
        )
    await session.delete(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership_id,
        action="withdraw",
        changes={"party_id": str(membership.party_id)},
    )


async def ensure_default_class(session: AsyncSession) -> MembershipClass:
    found = await session.scalar(select(MembershipClass).where(MembershipClass.code == "member"))
    if found is None:
        found = MembershipClass(code="member", name="Member", description="Ordinary member", defaults={})
        session.add(found)
        await session.flush()
    return found


async def list_classes(session: AsyncSession) -> list[MembershipClass]:
    return list((await session.scalars(select(MembershipClass).order_by(MembershipClass.code))).all())


_DEFAULTS_CHARACTERS = 10_000
_DEFAULTS_DEPTH = 5


def _check_defaults(defaults: Mapping[str, Any]) -> None:
    """A class's defaults, kept for modules: a small JSON object of printable text, at most
    ``_DEFAULTS_DEPTH`` levels deep (each level a module's settings, not a document)."""
    pending: list[tuple[Any, int]] = [(defaults, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > _DEFAULTS_DEPTH:
            raise InvalidInput.field("defaults", f"must be nested at most {_DEFAULTS_DEPTH} levels deep")
        if isinstance(value, str):
            check_text(value, "defaults", lines=True)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                check_text(str(key), "defaults")
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    if len(json.dumps(defaults)) > _DEFAULTS_CHARACTERS:
        raise InvalidInput.field("defaults", f"must be at most {_DEFAULTS_CHARACTERS:,} characters of JSON")


async def create_class(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    description: str = "",
    defaults: Mapping[str, Any] | None = None,
) -> MembershipClass:
    code = code.strip().lower()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput.field("code", "use letters, digits, '-' and '_'")
    if len(code) > 40:
        raise InvalidInput.field("code", "must be at most 40 characters")
    name = check_text(name.strip(), "name")
    if len(name) > 100:
        raise InvalidInput.field("name", "must be at most 100 characters")
    if len(check_text(description, "description", lines=True)) > 2000:
        raise InvalidInput.field("description", "must be at most 2000 characters")
    _check_defaults(defaults or {})
    if await session.scalar(select(MembershipClass.code).where(MembershipClass.code == code)) is not None:
        raise Conflict(f"membership class {code!r} already exists")
    found = MembershipClass(
        code=code, name=name or code, description=description, defaults=dict(defaults or {})
    )
    session.add(found)
    await session.flush()
    return found


async def create_membership(
    session: AsyncSession,
    *,
    party_id: uuid.UUID,
    class_code: str | None,
    status: str,
    on: date,
    actor_id: uuid.UUID | None,
) -> Membership:
    """Record a party's membership; an active member gets the next member number at once."""
    if status not in ("applicant", "active"):
        raise InvalidInput.field("status", "a new membership is 'applicant' or 'active'")
    await get_party(session, party_id)
    if await session.scalar(select(Membership.id).where(Membership.party_id == party_id)) is not None:
        raise Conflict("that party already has a membership")
    if class_code is None:
        class_code = (await ensure_default_class(session)).code
    elif await session.scalar(select(MembershipClass.code).where(MembershipClass.code == class_code)) is None:
        raise InvalidInput.field("class_code", f"no membership class {class_code!r}")
    membership = Membership(party_id=party_id, class_code=class_code, status="applicant", applied_on=on)
    session.add(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership.id,
        action="create",
        changes={"party_id": str(party_id), "class_code": class_code},
    )
    await events.publish(
        session, MEMBERSHIP_CREATED, MembershipCreated(membership_id=membership.id, party_id=party_id)
    )
    if status == "active":
        await change_membership_status(session, membership.id, "active", on=on, actor_id=actor_id)
    return membership


async def change_membership_status(
    session: AsyncSession, membership_id: uuid.UUID, status: str, *, on: date, actor_id: uuid.UUID | None
) -> Membership:
    """Move a membership along applicant → active ⇄ suspended → left; admission allocates the number."""
    membership = await get_membership(session, membership_id)
    if status not in MEMBERSHIP_STATUSES:
        raise InvalidInput.field("status", f"must be one of {', '.join(MEMBERSHIP_STATUSES)}")
    if status not in _TRANSITIONS[membership.status]:
        raise Conflict(f"a membership that is {membership.status} cannot become {status}")
    before = membership.status
    membership.status = status
    if status == "active" and membership.number is None:
        membership.joined_on = on
        membership.number = await sequences.next_number(
            session, MEMBER_SERIES, MEMBER_PATTERN, on=on, per_year=False
        )
    if status == "left":
        membership.left_on = on
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="membership",
        object_id=membership.id,
        action=status,
        changes={"status": [before, status]},
    )
    await events.publish(
        session,
        MEMBERSHIP_STATUS_EVENTS[status],
        MembershipStatusChanged(
            membership_id=membership.id,
            party_id=membership.party_id,
            class_code=membership.class_code,
            previous_status=before,
        ),
    )
    return membership


async def get_membership(session: AsyncSession, membership_id: uuid.UUID) -> Membership:
    return await fetch(session, Membership, membership_id, what="membership")


async def list_memberships(
    session: AsyncSession, *, status: str | None, q: str | None, limit: int, cursor: str | None
) -> Page[Membership]:
    statement = select(Membership)
    if status:
        if status not in MEMBERSHIP_STATUSES:
            raise InvalidInput.field("status", f"must be one of {', '.join(MEMBERSHIP_STATUSES)}")
        statement = statement.where(Membership.status == status)
    if q:
        statement = statement.where(Membership.party_id.in_(search_parties(select(Party.id), q)))
    return await paginate(
        session,
        statement,
        sort=Membership.created_at,
        id_column=Membership.id,
        limit=limit,
        cursor=cursor,
        descending=True,
    )
