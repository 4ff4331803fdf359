"""The invoicing settings page: numbering, payment terms, reminder days, the VAT new lines start with,
branding (colour, footer, logo) and the co-op's own mail server. The same rules as the API apply (one
service checks both)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.tenants import TenantContext
from core.web.shell import field_errors, form_data, redirect
from modules.invoicing.services import settings as invoicing_settings
from modules.invoicing.services.settings import LOGO_TYPES, MAX_LOGO, SettingsPatch, SmtpIn
from modules.invoicing.web.layout import page

__all__ = ["SETTINGS_PAGES"]

_PATH = "/invoicing/settings"
_CHECKED = ("on", "1", "yes", "true")
_EXTENSIONS = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def _form_of(shown: dict[str, Any]) -> dict[str, str]:
    """The form's fields as the stored settings fill them (never the mail server's password)."""
    smtp = shown["smtp"] or {}
    return {
        "invoice_pattern": shown["invoice_pattern"],
        "credit_note_pattern": shown["credit_note_pattern"],
        "quote_pattern": shown["quote_pattern"],
        "number_per_year": "on" if shown["number_per_year"] else "",
        "payment_terms_days": str(shown["payment_terms_days"]),
        "reminder_days": ", ".join(str(day) for day in shown["reminder_days"]),
        "brand_colour": shown["brand_colour"] or "",
        "footer": shown["footer"] or "",
        "default_vat_category": shown["default_vat_category"],
        "default_vat_rate": shown["default_vat_rate"] or "",
        "smtp.host": smtp.get("host") or "",
        "smtp.port": str(smtp.get("port") or 587),
        "smtp.sender": smtp.get("sender") or "",
        "smtp.user": smtp.get("user") or "",
        "smtp.starttls": "on" if smtp.get("starttls", True) else "",
    }


def _whole(raw: str, field: str, errors: dict[str, str]) -> int | None:
    if not re.fullmatch(r"-?\d{1,6}", raw):
        errors[field] = "must be a whole number"
        return None
    return int(raw)


def _patch_of(form: dict[str, str], errors: dict[str, str]) -> SettingsPatch:
    """The change the form asks for; what cannot even be read goes into ``errors``."""
    terms = _whole(form.get("payment_terms_days", ""), "payment_terms_days", errors)
    reminder_days: list[int] | None = []
    for part in re.split(r"[,;\s]+", form.get("reminder_days", "")):
        if part and reminder_days is not None:
            day = _whole(part, "reminder_days", errors)
            reminder_days = None if day is None else [*reminder_days, day]
    if "reminder_days" in errors:
        errors["reminder_days"] = "must be whole numbers of days separated by commas, such as 7, 21, 45"
    smtp: SmtpIn | None = None
    if form.get("smtp.host"):
        port = _whole(form.get("smtp.port") or "587", "smtp.port", errors)
        password: str | None = form.get("smtp.password") or None
        if form.get("smtp.forget_password") in _CHECKED:
            password = ""
        smtp = SmtpIn(
            host=form["smtp.host"],
            port=587 if port is None else port,
            sender=form.get("smtp.sender", ""),
            user=form.get("smtp.user", ""),
            password=password,
            starttls=form.get("smtp.starttls") in _CHECKED,
        )
    return SettingsPatch(
        invoice_pattern=form.get("invoice_pattern", ""),
        credit_note_pattern=form.get("credit_note_pattern", ""),
        quote_pattern=form.get("quote_pattern", ""),
        number_per_year=form.get("number_per_year") in _CHECKED,
        payment_terms_days=terms,
        reminder_days=reminder_days,
        brand_colour=form.get("brand_colour", ""),
        footer=form.get("footer", ""),
        smtp=smtp,
        default_vat_category=form.get("default_vat_category") or "S",
        default_vat_rate=form.get("default_vat_rate", "").replace(",", ".").removesuffix("%").strip() or None,
    )


async def _settings_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    logo_errors: dict[str, str] | None = None,
) -> Response[Any]:
    shown = invoicing_settings.settings_out(await invoicing_settings.get_settings(db))
    return await page(
        request,
        db,
        ctx,
        "invoicing/settings.html",
        status=status,
        shown=shown,
        form=form if form is not None else _form_of(shown),
        errors=errors or {},
        logo_errors=logo_errors or {},
        max_logo_kb=MAX_LOGO // 1024,
        country_rate=await invoicing_settings.vat_default(db) if not shown["default_vat_rate"] else None,
    )


@get(_PATH, opt={"permission": "invoicing.settings"})
async def show_settings(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The settings form, filled with what is stored."""
    return await _settings_page(request, db, ctx)


@post(_PATH, opt={"permission": "invoicing.settings"})
async def save_settings(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """Save the whole form; nothing changes unless every field is right."""
    form = await form_data(request)
    errors: dict[str, str] = {}
    data = _patch_of(form, errors)
    try:
        await invoicing_settings.update_settings(
            db, data, tenant_id=ctx.tenant_id, actor_id=ctx.user_id, install=request.app.state.settings
        )
    except InvalidInput as exc:
        errors = {**field_errors(exc), **errors}
    if errors:
        await db.rollback()
        form.pop("smtp.password", None)
        return await _settings_page(request, db, ctx, status=422, form=form, errors=errors)
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}{_PATH}", notice="The invoicing settings are saved.")


def _media_type(declared: str, filename: str) -> str:
    """The upload's type as the browser declared it, or as its name says when the browser did not know."""
    declared = declared.split(";")[0].strip().lower()
    if declared in LOGO_TYPES:
        return declared
    return _EXTENSIONS.get(PurePath(filename).suffix.lower(), declared)


@post(f"{_PATH}/logo", opt={"permission": "invoicing.settings"})
async def upload_logo(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """Store the logo printed on documents issued from now on (PNG, JPEG or SVG)."""
    form = await request.form()
    upload = form.get("logo")
    errors: dict[str, str] = {}
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors["logo"] = "choose an image file"
    else:
        content = await upload.read()
        try:
            await invoicing_settings.set_logo(
                db,
                content,
                _media_type(upload.content_type or "", upload.filename),
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user_id,
            )
        except InvalidInput as exc:
            await db.rollback()
            errors = {"logo": "; ".join(field_errors(exc).values())}
    if errors:
        return await _settings_page(request, db, ctx, status=422, logo_errors=errors)
    await db.commit()
    return redirect(
        request,
        f"/t/{ctx.slug}{_PATH}#logo",
        notice="The logo is saved; documents issued from now on show it.",
    )


@post(f"{_PATH}/logo/delete", opt={"permission": "invoicing.settings"})
async def delete_logo(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """Print documents without a logo from now on (issued ones keep theirs)."""
    await invoicing_settings.remove_logo(db, tenant_id=ctx.tenant_id, actor_id=ctx.user_id)
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}{_PATH}#logo", notice="The logo is removed.")


@get(f"{_PATH}/logo", opt={"permission": "invoicing.settings"})
async def logo_image(db: AsyncSession, ctx: TenantContext) -> Response[bytes]:
    """The stored logo, for the settings page to show it."""
    settings = await invoicing_settings.get_settings(db)
    if not settings.logo or not settings.logo_type:
        return Response(b"", status_code=404, media_type="text/plain")
    return Response(
        settings.logo,
        media_type=settings.logo_type,
        headers={
            "Cache-Control": "private, no-cache",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


SETTINGS_PAGES = [show_settings, save_settings, upload_logo, delete_logo, logo_image]
