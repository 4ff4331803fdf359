"""The core's tables: tenants, users, sessions and tokens, roles, parties, memberships, and the
shared services' bookkeeping (sequences, audit log, idempotency, rate counters)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, new_id, utcnow

__all__ = [
    "ApiToken",
    "AuditEntry",
    "IdempotencyRecord",
    "JobRun",
    "LoginBackoff",
    "LoginNetwork",
    "MailQuota",
    "Membership",
    "MembershipClass",
    "Party",
    "PartyLink",
    "RateCounter",
    "SequenceCounter",
    "Tenant",
    "TenantModule",
    "TenantUser",
    "User",
    "UserSession",
]


class Tenant(Base):
    """A co-op (or business) using the install."""

    __tablename__ = "tenant"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    vat_id: Mapped[str | None] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email: Mapped[str | None] = mapped_column(String(254))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantModule(TenantScoped, Base):
    """A module switched on for a tenant."""

    __tablename__ = "tenant_module"

    module: Mapped[str] = mapped_column(String(63), primary_key=True)
    enabled_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who logs in; global, so one bookkeeper may serve several co-ops."""

    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginNetwork(Base):
    """A network (an IPv4 address, an IPv6 /64) a user has logged in from: failed logins for the
    user's e-mail elsewhere do not slow the user down here (``core.login_throttle``)."""

    __tablename__ = "login_network"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginBackoff(Base):
    """Failed logins for one e-mail address from networks its owner does not use, and when the next
    may be tried (``core.login_throttle``). Keyed by the address's SHA-256: any string may be tried."""

    __tablename__ = "login_backoff"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime] = mapped_column(index=True)


class UserSession(Base):
    """A logged-in browser; the cookie holds a random token, the table only its hash."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ApiToken(Base):
    """A per-user API token: shown once, stored hashed, revocable."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    only_tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    """Set: the token acts in this tenant only (elsewhere it is as if the user had no role)."""
    read_only: Mapped[bool] = mapped_column(default=False)
    """True: the token may read, never change (POST, PUT, PATCH and DELETE answer 403)."""
    expires_at: Mapped[datetime | None]


class TenantUser(TenantScoped, Base):
    """A user's role in a tenant."""

    __tablename__ = "tenant_user"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Party(TenantScoped, Base):
    """An organisation or person the tenant deals with: customer, supplier, member business."""

    __tablename__ = "party"
    __table_args__ = (Index("ix_party_tenant_name", "tenant_id", "name", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(String(32))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MembershipClass(TenantScoped, Base):
    """A class of membership (e.g. worker, consumer, supporter), with per-module defaults."""

    __tablename__ = "membership_class"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Membership(TenantScoped, Base):
    """A party's membership of the tenant co-op."""

    __tablename__ = "membership"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "party_id"], ["party.tenant_id", "party.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "class_code"], ["membership_class.tenant_id", "membership_class.code"]
        ),
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "party_id"),
        Index("ix_membership_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    party_id: Mapped[uuid.UUID]
    number: Mapped[str | None] = mapped_column(String(40))
    class_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    applied_on: Mapped[date | None]
    joined_on: Mapped[date | None]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartyLink(TenantScoped, Base):
    """A user acting for a party (a member business), with its own rights."""

    __tablename__ = "party_link"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "party_id"], ["party.tenant_id", "party.id"]),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rights: Mapped[str] = mapped_column(String(12), default="manage")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SequenceCounter(TenantScoped, Base):
    """The last number given in one series (and period) of a tenant: the gapless counter row."""

    __tablename__ = "sequence_counter"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(TenantScoped, Base):
    """Append-only record of who did what, when, to which object."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_tenant_at", "tenant_id", "at", "id"),
        Index("ix_audit_entry_object", "tenant_id", "object_type", "object_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    object_type: Mapped[str] = mapped_column(String(63))
    object_id: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(63))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IdempotencyRecord(Base):
    """The first answer to a request made with an ``Idempotency-Key``, kept with the effect."""

    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobRun(TenantScoped, Base):
    """A claim on one day's run of a module's daily job in one tenant (see ``core.scheduler``)."""

    __tablename__ = "job_run"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class RateCounter(Base):
    """Requests (or failed logins) counted per key and time window, shared by every process."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MailQuota(TenantScoped, Base):
    """How many recipients a tenant's mail went to in one clock hour or UTC day (``core.mail_quota``)."""

    __tablename__ = "mail_quota"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Hours (or days) since 1970-01-01 UTC."""
    count: Mapped[int] = mapped_column(Integer, default=0)
