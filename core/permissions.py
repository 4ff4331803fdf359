"""Tenant roles and the permissions they hold; modules add permissions of their own."""

from __future__ import annotations

from collections.abc import Iterable

from core.module import Permission

__all__ = ["CORE_PERMISSIONS", "ROLES", "permissions_by_role"]

ROLES: tuple[str, ...] = ("owner", "admin", "bookkeeper", "member", "viewer")

_STAFF = ("owner", "admin", "bookkeeper")
_ALL = ROLES

CORE_PERMISSIONS: tuple[Permission, ...] = (
    Permission("core.tenant.view", "See the co-op's details", _ALL),
    Permission("core.tenant.manage", "Change the co-op's legal details", ("owner", "admin")),
    Permission("core.users.manage", "Grant and revoke roles", ("owner", "admin")),
    Permission("core.modules.manage", "Switch modules on and off", ("owner", "admin")),
    Permission("core.parties.view", "See parties and memberships", (*_STAFF, "viewer")),
    Permission("core.parties.manage", "Create and change parties and memberships", ("owner", "admin")),
    Permission("core.audit.view", "Read the audit log", ("owner", "admin", "bookkeeper")),
)


def permissions_by_role(permissions: Iterable[Permission]) -> dict[str, frozenset[str]]:
    """Map each role to the names of the permissions it holds."""
    table: dict[str, set[str]] = {role: set() for role in ROLES}
    for permission in permissions:
        for role in permission.roles:
            if role not in table:
                raise ValueError(f"permission {permission.name} names unknown role {role!r}")
            table[role].add(permission.name)
    return {role: frozenset(names) for role, names in table.items()}
