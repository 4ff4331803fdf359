"""The ``coop`` command: serve, database, tenants, users, modules, the demo seed; modules add groups.

Each command group lives in its own file; this package joins them under the root group, then lets the
installed modules add theirs, so a module cannot take a core command's name.
"""

from __future__ import annotations

from core.cli.database import db
from core.cli.demo import demo
from core.cli.modules import add_module_commands, modules
from core.cli.root import main
from core.cli.server import serve
from core.cli.tenants import tenant
from core.cli.users import user

__all__ = ["main"]

main.add_command(serve)
main.add_command(db)
main.add_command(tenant)
main.add_command(user)
main.add_command(modules)
main.add_command(demo)
add_module_commands(main)
