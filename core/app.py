"""The application factory: the core's routes, then each installed module's, wired by looping over
the registry (the core never imports a module)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from os import PathLike
from pathlib import Path
from typing import Any

from litestar import Litestar, Response, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import text

from core import events
from core.api.auth import AuthController
from core.api.memberships import MembershipsController
from core.api.parties import PartiesController
from core.api.tenants import TenantController
from core.db import row_security
from core.db.engine import Database
from core.http import (
    AuthMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    exception_handlers,
    provide_db,
    provide_public_tenant,
    provide_tenant_context,
    requires_user,
)
from core.identity import make_hasher
from core.registry import ModuleRegistry, RegistryError, discover
from core.scheduler import scheduler_loop
from core.settings import Settings
from core.web import PAGES, TEMPLATES
from core.web.shell import page_exception_handlers

log = logging.getLogger("coopstack.database")

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "web" / "static"


@get("/healthz", opt={"public": True}, tags=["system"])
async def healthz(state: State) -> Response[dict[str, str]]:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    database: Database = state.db
    try:
        async with database.session(write=False) as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


def _module_routers(registry: ModuleRegistry) -> list[Router]:
    routers: list[Router] = []
    for module in registry:
        opt = {"module": module.name}
        if module.api:
            routers.append(
                Router(
                    path="/api/v1/tenants/{tenant:str}",
                    route_handlers=list(module.api),
                    opt=opt,
                    tags=[module.name],
                )
            )
        if module.pages:
            routers.append(
                Router(
                    exception_handlers=page_exception_handlers,
                    path="/t/{tenant:str}",
                    route_handlers=list(module.pages),
                    opt=opt,
                    include_in_schema=False,
                )
            )
        if module.public:
            routers.append(
                Router(
                    path="/p/{tenant:str}",
                    route_handlers=list(module.public),
                    opt={**opt, "public": True},
                    include_in_schema=False,
                )
            )
    return routers


async def _check_row_security(database: Database) -> None:
    """Say so when the servers' role is one that PostgreSQL's row-level security does not bind: the
    install then runs on the data layer's tenant scoping alone (docs/deploy.md, "Database")."""
    try:
        reason = await row_security.unbound_reason(database.read_engine)
    except Exception:  # the database may not be up yet; /healthz reports that
        log.warning("could not check the database role for row-level security", exc_info=True)
        return
    if reason is not None:
        log.warning(
            "row-level security does not bind the servers: %s. Connect with COOPSTACK_DATABASE_URL as a "
            "role that owns nothing, and migrate with COOPSTACK_MIGRATION_DATABASE_URL (docs/deploy.md)",
            reason,
        )


def create_app(settings: Settings | None = None, registry: ModuleRegistry | None = None) -> Litestar:
    """Build the application for ``settings`` (default: the environment) and the installed modules."""
    settings = settings or Settings.from_env()
    settings.check()
    registry = registry if registry is not None else discover()
    database = Database.of(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not database.is_sqlite:
            await _check_row_security(database)
        ticker = None
        if settings.scheduler:
            ticker = asyncio.create_task(scheduler_loop(database, registry, settings))
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await database.dispose()

    template_dirs: list[Path | PathLike[Any] | str] = [
        TEMPLATES,
        *(m.templates for m in registry if m.templates is not None),
    ]
    state = State(
        {
            "settings": settings,
            "registry": registry,
            "db": database,
            "hasher": make_hasher(settings),
            "role_permissions": registry.role_permissions(),
        }
    )
    app = Litestar(
        route_handlers=[
            healthz,
            AuthController,
            TenantController,
            PartiesController,
            MembershipsController,
            *PAGES,
            *_module_routers(registry),
            create_static_files_router(
                path="/static", directories=[STATIC], opt={"public": True}, include_in_schema=False
            ),
        ],
        state=state,
        lifespan=[lifespan],
        dependencies={
            "db": Provide(provide_db),
            "ctx": Provide(provide_tenant_context),
            "public_tenant": Provide(provide_public_tenant),
        },
        guards=[requires_user],
        middleware=[
            DefineMiddleware(SecurityHeadersMiddleware),
            DefineMiddleware(RateLimitMiddleware),
            DefineMiddleware(AuthMiddleware),
        ],
        exception_handlers=exception_handlers,
        logging_config=_logging_config(),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.base_url.startswith("https://"),
            # Anchored: Litestar searches these anywhere in the path, and a co-op's pages (``/t/{slug}/...``)
            # must never match them, whatever the slug.
            exclude=["^/api/", "^/healthz$", "^/schema(/|$)"],
        ),
        template_config=TemplateConfig(directory=template_dirs, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="Coopstack",
            version="1",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    _check_module_routes(app)
    events.install(events.EventBus.from_modules(list(registry)))
    return app


def _check_module_routes(app: Litestar) -> None:
    """Every tenant route of a module takes ``ctx``: resolving it is what checks the user's role in the
    tenant, that the module is on there (else 404) and the route's permission. A handler without it
    would answer for every tenant, module on or off, so it stops the start-up instead."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            module = handler.opt.get("module")
            if module is None or handler.opt.get("public") or set(handler.http_methods) == {"OPTIONS"}:
                continue  # public routes have no user; OPTIONS is the framework's own answer
            if "ctx" not in handler.parsed_fn_signature.parameters:
                raise RegistryError(
                    f"module {module!r}: {handler.handler_name} at {route.path} must take "
                    "`ctx: TenantContext`, which checks the tenant, the module and the permission"
                )


QUIET_LOGGERS = ("weasyprint", "fontTools")
"""Libraries that report every step of their work at INFO (a PDF's seven rendering steps): the log keeps
their warnings only."""


def _logging_config() -> LoggingConfig:
    config = LoggingConfig()
    config.loggers.update({name: {"level": "WARNING"} for name in QUIET_LOGGERS})
    return config


def app_from_env() -> Litestar:
    """Entry for ``uvicorn --factory core.app:app_from_env`` (each worker builds its own)."""
    return create_app()
