"""A tenant's invoicing settings: created with defaults on first use, changed under the same rules from
the API and from the settings page (numbering patterns, terms, reminder days, branding, mail server,
logo)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, mail_servers
from core.db.tenancy import all_tenants
from core.errors import FieldError, InvalidInput
from core.money import plain_number
from core.sequences import check_pattern
from core.settings import Settings
from modules.invoicing.models import InvoicingSettings
from modules.invoicing.services import sending
from modules.invoicing.services.default_vat import VatDefault, check_default_vat, seller_country
from modules.invoicing.services.vat_categories import STANDARD_RATES

__all__ = [
    "LOGO_TYPES",
    "MAX_LOGO",
    "SettingsPatch",
    "SmtpIn",
    "apply_settings",
    "check_logo",
    "check_payment_terms",
    "get_settings",
    "remove_logo",
    "set_logo",
    "settings_for_change",
    "settings_found",
    "settings_out",
    "update_settings",
    "vat_default",
]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/svg+xml": b""}
MAX_LOGO = 512 * 1024


class SmtpIn(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    port: int = 587
    sender: str = ""
    user: str = ""
    password: str | None = None
    """Omit to keep the stored password."""
    starttls: bool = True


class SettingsPatch(msgspec.Struct, forbid_unknown_fields=True):
    invoice_pattern: str | None = None
    credit_note_pattern: str | None = None
    quote_pattern: str | None = None
    number_per_year: bool | None = None
    payment_terms_days: int | None = None
    reminder_days: list[int] | None = None
    brand_colour: str | None = None
    footer: str | None = None
    smtp: SmtpIn | msgspec.UnsetType | None = msgspec.UNSET
    """``null`` goes back to the install's mail server."""
    default_vat_category: str | None = None
    default_vat_rate: str | msgspec.UnsetType | None = msgspec.UNSET
    """A decimal string; ``null`` goes back to the standard rate of the co-op's country."""


_SETTINGS = "invoicing.settings"


def _defaults() -> InvoicingSettings:
    """A tenant's settings before anyone changes them: the columns' defaults, not stored."""
    values: dict[str, Any] = {}
    for column in InvoicingSettings.__table__.columns:
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            values[column.key] = default.arg
        elif default is not None and getattr(default, "is_callable", False):
            values[column.key] = default.arg(None)
    return InvoicingSettings(**values)


async def get_settings(session: AsyncSession) -> InvoicingSettings:
    """The session tenant's settings: its row, or until someone changes them the defaults, unsaved
    (reading never writes: on SQLite a read that had to write would wait for the write lock). Read
    once per session (the session keeps the row; the defaults for the rest of the transaction); change
    them through ``settings_for_change``."""
    cached: tuple[Any, InvoicingSettings, Any] | None = session.info.get(_SETTINGS)
    tenant_id = session.info.get("tenant_id")
    if cached is not None and cached[0] == tenant_id:
        known, transaction = cached[1], cached[2]
        state = inspect(known)
        if state.persistent and not state.expired_attributes and known in session:
            return known  # not rolled back, nor expired by a commit
        if (
            state.transient
            and transaction is not None
            and transaction is session.sync_session.get_transaction()
        ):
            return known  # nobody had changed them when this transaction looked
    found: InvoicingSettings | None = None
    if isinstance(tenant_id, uuid.UUID):  # its key is the tenant: the tenant filter would only repeat it
        found = await session.get(InvoicingSettings, tenant_id, execution_options=all_tenants())
    else:
        found = await session.scalar(select(InvoicingSettings))  # no tenant: the session refuses
    return settings_found(session, found)


def settings_found(session: AsyncSession, found: InvoicingSettings | None) -> InvoicingSettings:
    """The settings, given the session tenant's row as a query has just read it (None: there is
    none): remembered for ``get_settings`` as if it had read them itself."""
    tenant_id = session.info.get("tenant_id")
    if found is None:
        defaults = _defaults()
        session.info[_SETTINGS] = (tenant_id, defaults, session.sync_session.get_transaction())
        return defaults
    session.info[_SETTINGS] = (tenant_id, found, None)
    return found


async def settings_for_change(session: AsyncSession) -> InvoicingSettings:
    """The session tenant's settings row, created with the defaults if it does not exist yet."""
    settings = await get_settings(session)
    if inspect(settings).transient:
        # The defaults may be remembered from earlier in the transaction: look again before adding.
        session.info.pop(_SETTINGS, None)
        settings = await get_settings(session)
    if inspect(settings).transient:
        session.add(settings)
        await session.flush()
        session.info[_SETTINGS] = (session.info.get("tenant_id"), settings, None)
    return settings


def settings_out(settings: InvoicingSettings) -> dict[str, Any]:
    """The settings as shown to people and scripts: never the mail server's password."""
    smtp = settings.smtp or {}
    return {
        "invoice_pattern": settings.invoice_pattern,
        "credit_note_pattern": settings.credit_note_pattern,
        "quote_pattern": settings.quote_pattern,
        "number_per_year": settings.number_per_year,
        "payment_terms_days": settings.payment_terms_days,
        "reminder_days": list(settings.reminder_days or []),
        "brand_colour": settings.brand_colour,
        "footer": settings.footer,
        "default_vat_category": settings.default_vat_category,
        "default_vat_rate": None
        if settings.default_vat_rate is None
        else plain_number(settings.default_vat_rate),
        "logo_type": settings.logo_type if settings.logo else None,
        "smtp": {
            "host": smtp.get("host"),
            "port": smtp.get("port"),
            "sender": smtp.get("sender"),
            "user": smtp.get("user"),
            "starttls": smtp.get("starttls"),
            "password_set": bool(smtp.get("password")),
        }
        if smtp.get("host")
        else None,
    }


def _pattern(value: str, field: str, *, per_year: bool) -> str:
    value = check_pattern(value.strip(), field)
    if per_year and "{year}" not in value:
        raise InvalidInput.field(field, "numbers restart every year, so the pattern needs {year}")
    return value


def _smtp(data: SmtpIn, current: dict[str, Any]) -> dict[str, Any]:
    host = data.host.strip()
    if not host or len(host) > 253 or any(c.isspace() for c in host):
        raise InvalidInput.field("smtp.host", "must be a host name")
    if not 1 <= data.port <= 65535:
        raise InvalidInput.field("smtp.port", "must be between 1 and 65535")
    sender = data.sender.strip()
    if sender and (sending.check_recipients([sender]) != (sender,)):
        raise InvalidInput.field("smtp.sender", "must be an e-mail address")
    password = current.get("password", "") if data.password is None else data.password
    return {
        "host": host,
        "port": data.port,
        "sender": sender,
        "user": data.user.strip(),
        "password": password,
        "starttls": data.starttls,
    }


def _reminder_days(days: list[int]) -> list[int]:
    if len(days) > 10 or any(not 1 <= d <= 365 for d in days) or days != sorted(set(days)):
        raise InvalidInput.field(
            "reminder_days", "at most 10 distinct days after the due date, ascending, each 1 to 365"
        )
    return list(days)


def check_payment_terms(days: int) -> int:
    """Days to pay, 0 to 365: the tenant's default and every document's own terms."""
    if not 0 <= days <= 365:
        raise InvalidInput.field("payment_terms_days", "must be between 0 and 365")
    return days


def _colour(value: str) -> str:
    if not _COLOUR.fullmatch(value):
        raise InvalidInput.field("brand_colour", "must be a colour like #1b5e3b")
    return value.lower()


def _footer(value: str) -> str:
    if len(value) > 2000:
        raise InvalidInput.field("footer", "must be at most 2000 characters")
    return value.strip()


def apply_settings(
    settings: InvoicingSettings, data: SettingsPatch, *, server_refusals: list[FieldError] | None = None
) -> dict[str, Any]:
    """Check and apply a change of settings; returns what changed, for the audit log (no password).

    Every field is checked before anything changes: a refused change names each bad field (in the
    order of the form) and leaves the settings as they were. ``server_refusals`` are what
    :func:`core.mail_servers.refusals` found wrong with the mail server (it resolves names, so it runs
    before, with no transaction waiting on the network).
    """
    before = settings_out(settings)
    per_year = settings.number_per_year if data.number_per_year is None else data.number_per_year
    values: dict[str, Any] = {"number_per_year": per_year}
    errors: list[FieldError] = []

    def check(name: str, rule: Any, *args: Any, **kwargs: Any) -> None:
        try:
            values[name] = rule(*args, **kwargs)
        except InvalidInput as exc:
            errors.extend(exc.errors)

    for name in ("invoice_pattern", "credit_note_pattern", "quote_pattern"):
        value = getattr(data, name)
        check(
            name, _pattern, value if value is not None else getattr(settings, name), name, per_year=per_year
        )
    if data.payment_terms_days is not None:
        check("payment_terms_days", check_payment_terms, data.payment_terms_days)
    if data.reminder_days is not None:
        check("reminder_days", _reminder_days, data.reminder_days)
    if data.brand_colour is not None:
        check("brand_colour", _colour, data.brand_colour)
    if data.footer is not None:
        check("footer", _footer, data.footer)
    if data.default_vat_category is not None or data.default_vat_rate is not msgspec.UNSET:
        category = data.default_vat_category or settings.default_vat_category
        rate = data.default_vat_rate
        if rate is msgspec.UNSET:
            rate = None if settings.default_vat_rate is None else plain_number(settings.default_vat_rate)
        try:
            values["default_vat_category"], values["default_vat_rate"] = check_default_vat(category, rate)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if data.smtp is not msgspec.UNSET:
        if data.smtp is None:
            values["smtp"] = {}
        else:
            check("smtp", _smtp, data.smtp, dict(settings.smtp or {}))
            errors.extend(server_refusals or [])
    if errors:
        raise InvalidInput(
            "; ".join(f"{error['field']}: {error['message']}" for error in errors), errors=errors
        )
    for name, value in values.items():
        setattr(settings, name, value)
    return audit.diff(before, settings_out(settings))


async def vat_default(session: AsyncSession) -> VatDefault:
    """What a new line starts with: the co-op's default category and rate, the rate being the standard
    rate of its country until one is set."""
    settings = await get_settings(session)
    rate = settings.default_vat_rate
    if rate is None and settings.default_vat_category == "S":
        rate = STANDARD_RATES.get(await seller_country(session) or "")
    return VatDefault(settings.default_vat_category, rate)


async def update_settings(
    session: AsyncSession,
    data: SettingsPatch,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    install: Settings | None = None,
) -> InvoicingSettings:
    """Change the settings (see :func:`apply_settings`) and record the change in the audit log.

    A mail server must be one the install may reach for a tenant (``core.mail_servers``, checked
    against ``install``, the install's settings; their defaults when not given).
    """
    refused: list[FieldError] = []
    if isinstance(data.smtp, SmtpIn):
        rules = install or Settings()
        refused = await mail_servers.refusals(data.smtp.host.strip(), data.smtp.port, rules)
    settings = await settings_for_change(session)
    changes = apply_settings(settings, data, server_refusals=refused)
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoicing_settings",
        object_id=tenant_id,
        action="update",
        changes=changes,
    )
    return settings


def check_logo(content: bytes, media_type: str) -> None:
    """Refuse anything but a small PNG, JPEG or script-free SVG image."""
    if media_type not in LOGO_TYPES:
        raise InvalidInput.field("content-type", "a logo is image/png, image/jpeg or image/svg+xml")
    if not content:
        raise InvalidInput.field("logo", "is empty")
    if len(content) > MAX_LOGO:
        raise InvalidInput.field("logo", f"must be at most {MAX_LOGO // 1024} kB")
    if media_type == "image/svg+xml":
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput.field("logo", "an SVG logo must be UTF-8 text") from None
        lowered = text.lower()
        if "<svg" not in lowered:
            raise InvalidInput.field("logo", "is not an SVG image")
        if any(bad in lowered for bad in ("<!doctype", "<!entity", "<script", "javascript:")):
            raise InvalidInput.field("logo", "an SVG logo may not hold scripts, entities or a doctype")
    elif not content.startswith(LOGO_TYPES[media_type]):
        raise InvalidInput.field("logo", f"is not a {media_type.split('/')[1].upper()} image")


async def set_logo(
    session: AsyncSession,
    content: bytes,
    media_type: str,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
) -> InvoicingSettings:
    """Store the logo printed on documents, once :func:`check_logo` accepts it."""
    check_logo(content, media_type)
    return await _change_logo(
        session,
        content,
        media_type,
        tenant_id=tenant_id,
        actor_id=actor_id,
        changes={"logo_type": media_type, "bytes": len(content)},
    )


async def remove_logo(session: AsyncSession, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None) -> None:
    """Documents are printed without a logo from now on."""
    await _change_logo(
        session, None, None, tenant_id=tenant_id, actor_id=actor_id, changes={"logo_type": None}
    )


async def _change_logo(
    session: AsyncSession,
    content: bytes | None,
    media_type: str | None,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    changes: dict[str, Any],
) -> InvoicingSettings:
    """Put ``content`` in place of the logo (None: no logo), with the audit entry every change of it has."""
    settings = await settings_for_change(session)
    settings.logo = content
    settings.logo_type = media_type
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoicing_settings",
        object_id=tenant_id,
        action="logo",
        changes=changes,
    )
    return settings
