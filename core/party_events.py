"""The events the core publishes about its parties and memberships (from ``core.parties`` and
``core.memberships``), declared with their payloads so that a module may subscribe to them and type what
it reads."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

from core.events import EventType

__all__ = [
    "CORE_EVENTS",
    "MEMBERSHIP_ACTIVATED",
    "MEMBERSHIP_CREATED",
    "MEMBERSHIP_LEFT",
    "MEMBERSHIP_STATUS_EVENTS",
    "MEMBERSHIP_SUSPENDED",
    "PARTY_CREATED",
    "PARTY_DELETED",
    "MembershipCreated",
    "MembershipStatusChanged",
    "PartyChanged",
]


class PartyChanged(TypedDict):
    party_id: uuid.UUID


class MembershipCreated(TypedDict):
    membership_id: uuid.UUID
    party_id: uuid.UUID


class MembershipStatusChanged(TypedDict):
    membership_id: uuid.UUID
    party_id: uuid.UUID
    class_code: str
    previous_status: str


PARTY_CREATED = EventType("party.created", PartyChanged)
PARTY_DELETED = EventType("party.deleted", PartyChanged)
MEMBERSHIP_CREATED = EventType("membership.created", MembershipCreated)
"""A party applied or was admitted directly (then ``membership.activated`` follows)."""
MEMBERSHIP_ACTIVATED = EventType("membership.activated", MembershipStatusChanged)
MEMBERSHIP_SUSPENDED = EventType("membership.suspended", MembershipStatusChanged)
MEMBERSHIP_LEFT = EventType("membership.left", MembershipStatusChanged)

MEMBERSHIP_STATUS_EVENTS = {
    "active": MEMBERSHIP_ACTIVATED,
    "suspended": MEMBERSHIP_SUSPENDED,
    "left": MEMBERSHIP_LEFT,
}
"""The event each membership status publishes when a membership enters it."""

CORE_EVENTS: tuple[EventType[Any], ...] = (
    PARTY_CREATED,
    PARTY_DELETED,
    MEMBERSHIP_CREATED,
    MEMBERSHIP_ACTIVATED,
    MEMBERSHIP_SUSPENDED,
    MEMBERSHIP_LEFT,
)
