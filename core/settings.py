"""Settings read once from the environment.

Every setting has a safe default for the embedded mode (SQLite under ``./var/``). Production mode
(``COOPSTACK_ENV=production``) refuses the demo secret and an unset base URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from sqlalchemy.engine import make_url

DEMO_SECRET = "coopstack-demo-secret-change-me"  # noqa: S105 - the value production refuses
SMTP_PORTS = frozenset({25, 465, 587})

__all__ = ["DEMO_SECRET", "SMTP_PORTS", "Settings", "SettingsError", "normalise_database_url"]


class SettingsError(RuntimeError):
    """The environment describes a configuration that must not run."""


def normalise_database_url(url: str) -> str:
    """Give a plain ``sqlite://`` or ``postgresql://`` URL its async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


def _ports(name: str, default: frozenset[int]) -> frozenset[int]:
    """Ports and ranges, comma separated: ``25,465,587,2525`` or ``1-65535``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    ports: set[int] = set()
    try:
        for part in raw.split(","):
            low, _, high = part.strip().partition("-")
            ports.update(range(int(low), int(high or low) + 1))
    except ValueError as exc:
        raise SettingsError(
            f"{name} must list ports or ranges like 25,465,587 or 1-65535, not {raw!r}"
        ) from exc
    if not ports or min(ports) < 1 or max(ports) > 65535:
        raise SettingsError(f"{name} must list ports between 1 and 65535, not {raw!r}")
    return frozenset(ports)


def _networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Address ranges, comma separated: ``10.0.5.0/24,fd12::/64``."""
    raw = os.environ.get(name, "").strip()
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{name} must list address ranges like 10.0.5.0/24, not {raw!r}") from exc


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise SettingsError(f"{name} must be a number of seconds above 0, not {raw!r}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What the running install needs to know about its environment."""

    environment: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/coopstack.db"
    migration_database_url: str = ""
    """Where ``coop db`` migrates, as the tables' owner (``COOPSTACK_MIGRATION_DATABASE_URL``); empty:
    ``database_url``. On PostgreSQL the servers then connect as another role, which row-level
    security binds (docs/deploy.md)."""
    database_wait_seconds: float = 30
    """How long a request waits for a database connection or SQLite's write lock before a 503."""
    preview_seconds: float = 20
    """How long a draft's PDF preview may take to lay out (and wait for its turn) before a 503."""
    secret_key: str = DEMO_SECRET
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "coopstack@localhost"
    smtp_from_name: str = "Coopstack"
    """The install's name in the From of mail sent for a tenant: "<tenant> via <this>"."""
    smtp_allowed_ports: frozenset[int] = SMTP_PORTS
    """The ports a tenant's own mail server may listen on."""
    smtp_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    """Addresses a tenant's own mail server may have although they are not on the public internet."""
    mail_per_hour: int = 200
    mail_per_day: int = 1000
    """How many recipients one tenant may send mail to, per clock hour and per UTC day."""
    max_body_bytes: int = 1_048_576
    rate_limit_per_minute: int = 1200
    login_attempts_per_window: int = 10
    session_days: int = 14
    password_time_cost: int = 2
    password_memory_kib: int = 19_456
    scheduler: bool = False
    """Run modules' daily jobs inside the server processes (``COOPSTACK_SCHEDULER``, on by default)."""
    scheduler_interval: int = 300
    var_dir: Path = field(default_factory=lambda: Path("var"))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migration_url(self) -> str:
        """The URL migrations run with: the owner's when set apart, else the servers' own."""
        return self.migration_database_url or self.database_url

    @property
    def application_role(self) -> str | None:
        """The role the servers connect as, when migrations connect as another (it gets its rights
        at each upgrade), else None."""
        if not self.migration_database_url:
            return None
        app, owner = make_url(self.database_url).username, make_url(self.migration_database_url).username
        return app if app and app != owner else None

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``COOPSTACK_*`` variables; refuse an unsafe production configuration."""
        env = os.environ
        var_dir = Path(env.get("COOPSTACK_VAR_DIR", "var"))
        default_db = f"sqlite+aiosqlite:///{var_dir / 'coopstack.db'}"
        settings = cls(
            environment=env.get("COOPSTACK_ENV", "development"),
            database_url=normalise_database_url(env.get("COOPSTACK_DATABASE_URL", default_db)),
            migration_database_url=normalise_database_url(env.get("COOPSTACK_MIGRATION_DATABASE_URL", "")),
            database_wait_seconds=_seconds("COOPSTACK_DATABASE_WAIT_SECONDS", 30),
            preview_seconds=_seconds("COOPSTACK_PREVIEW_SECONDS", 20),
            secret_key=env.get("COOPSTACK_SECRET_KEY", DEMO_SECRET),
            base_url=env.get("COOPSTACK_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            smtp_host=env.get("COOPSTACK_SMTP_HOST", "localhost"),
            smtp_port=_int("COOPSTACK_SMTP_PORT", 25),
            smtp_user=env.get("COOPSTACK_SMTP_USER", ""),
            smtp_password=env.get("COOPSTACK_SMTP_PASSWORD", ""),
            smtp_from=env.get("COOPSTACK_SMTP_FROM", "coopstack@localhost"),
            smtp_from_name=env.get("COOPSTACK_SMTP_FROM_NAME", "Coopstack"),
            smtp_allowed_ports=_ports("COOPSTACK_SMTP_ALLOWED_PORTS", SMTP_PORTS),
            smtp_allowed_networks=_networks("COOPSTACK_SMTP_ALLOWED_NETWORKS"),
            mail_per_hour=_int("COOPSTACK_MAIL_PER_HOUR", 200),
            mail_per_day=_int("COOPSTACK_MAIL_PER_DAY", 1000),
            max_body_bytes=_int("COOPSTACK_MAX_BODY_BYTES", 1_048_576),
            rate_limit_per_minute=_int("COOPSTACK_RATE_LIMIT_PER_MINUTE", 1200),
            login_attempts_per_window=_int("COOPSTACK_LOGIN_ATTEMPTS", 10),
            session_days=_int("COOPSTACK_SESSION_DAYS", 14),
            password_time_cost=_int("COOPSTACK_PASSWORD_TIME_COST", 2),
            password_memory_kib=_int("COOPSTACK_PASSWORD_MEMORY_KIB", 19_456),
            scheduler=env.get("COOPSTACK_SCHEDULER", "on").lower() not in ("off", "0", "false", "no"),
            scheduler_interval=_int("COOPSTACK_SCHEDULER_INTERVAL", 300),
            var_dir=var_dir,
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse to run in production with the demo secret or on the embedded database by accident."""
        if not self.is_production:
            return
        if self.secret_key == DEMO_SECRET or len(self.secret_key) < 32:
            raise SettingsError(
                "COOPSTACK_ENV=production needs COOPSTACK_SECRET_KEY set to a random value of "
                "at least 32 characters; the demo secret is public."
            )
        if self.base_url.startswith("http://127.0.0.1"):
            raise SettingsError("COOPSTACK_ENV=production needs COOPSTACK_BASE_URL (the public address).")
