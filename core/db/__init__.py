"""Database layer: declarative base, tenant scoping, engines and migrations."""

from core.db.base import Base, TenantScoped, new_id, utcnow
from core.db.engine import Database
from core.db.tenancy import TenantSession, all_tenants

__all__ = ["Base", "Database", "TenantScoped", "TenantSession", "all_tenants", "new_id", "utcnow"]
