"""The invoicing settings under /api/v1/tenants/{tenant}/invoicing/settings: numbering, terms, reminder
days, branding and the mail server."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, put
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenants import TenantContext
from modules.invoicing.services import settings as invoicing_settings
from modules.invoicing.services.settings import SettingsPatch, get_settings, settings_out

__all__ = ["SettingsController"]


class SettingsController(Controller):
    path = "/invoicing/settings"
    tags = ["invoicing"]

    @get("/", opt={"permission": "invoicing.settings"})
    async def show(self, db: AsyncSession, ctx: TenantContext) -> dict[str, Any]:
        """Numbering, terms, reminder days, branding and the mail server (never its password)."""
        return settings_out(await get_settings(db))

    @patch("/", opt={"permission": "invoicing.settings"})
    async def update(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: SettingsPatch
    ) -> dict[str, Any]:
        """Change settings (send what changes; ``smtp: null`` goes back to the install's mail server;
        an ``smtp`` without ``password`` keeps the stored one)."""
        settings = await invoicing_settings.update_settings(
            db, data, tenant_id=ctx.tenant_id, actor_id=ctx.user_id, install=request.app.state.settings
        )
        out = settings_out(settings)
        await db.commit()
        return out

    @put("/logo", opt={"permission": "invoicing.settings"}, status_code=200)
    async def put_logo(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> dict[str, Any]:
        """Upload the logo printed on documents: the image itself as the body (PNG, JPEG or SVG,
        at most 512 kB)."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        content = await request.body()
        settings = await invoicing_settings.set_logo(
            db, content, media_type, tenant_id=ctx.tenant_id, actor_id=ctx.user_id
        )
        out = settings_out(settings)
        await db.commit()
        return out

    @delete("/logo", opt={"permission": "invoicing.settings"}, status_code=204)
    async def delete_logo(self, db: AsyncSession, ctx: TenantContext) -> None:
        """Remove the logo."""
        await invoicing_settings.remove_logo(db, tenant_id=ctx.tenant_id, actor_id=ctx.user_id)
        await db.commit()
