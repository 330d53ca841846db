"""Typed settings, read from the environment once, when asked for (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Mode(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    TEST = "test"


class SettingsError(ValueError):
    """The environment does not describe a runnable portal; the message says why."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret_key: str
    mode: Mode = Mode.PRODUCTION
    secrets_key: str = ""  # PORTAL_SECRETS_KEY: see ``sealing_key``
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)
    # The SMTP servers county admins may choose (empty: any). Set it where the portal shares a
    # network with other systems, so a county cannot point e-mail at them.
    smtp_hosts: frozenset[str] = field(default_factory=frozenset)
    # The hosts (``host[:port]``) group robots may post to; empty: WeCom's and DingTalk's own.
    webhook_hosts: frozenset[str] = field(default_factory=frozenset)
    # The portal's address as its users reach it, for links in robot messages (PORTAL_BASE_URL).
    base_url: str = ""
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_minutes: int = 15
    default_timezone: str = "Asia/Shanghai"
    templates_dir: Path = PROJECT_ROOT / "templates"
    tenants_dir: Path = PROJECT_ROOT / "tenants"

    @property
    def sealing_key(self) -> str:
        """What seals secrets stored in the database (``app.secrets``): a key of their own, or SECRET_KEY."""
        return self.secrets_key or self.secret_key

    @property
    def secure_cookies(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        mode = _parse_mode(env.get("PORTAL_MODE", Mode.PRODUCTION))
        secret_key = env.get("SECRET_KEY", "")
        if mode is Mode.PRODUCTION and len(secret_key) < 32:
            raise SettingsError(
                "SECRET_KEY must be set to at least 32 random characters in production mode "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        settings = cls(
            database_url=env.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'portal.sqlite'}"),
            redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            secret_key=secret_key,
            secrets_key=env.get("PORTAL_SECRETS_KEY", ""),
            mode=mode,
            trusted_proxies=_names(env, "PORTAL_TRUSTED_PROXIES"),
            smtp_hosts=_names(env, "PORTAL_SMTP_HOSTS"),
            webhook_hosts=_names(env, "PORTAL_WEBHOOK_HOSTS"),
            base_url=env.get("PORTAL_BASE_URL", "").strip().rstrip("/"),
            session_idle_minutes=_positive_int(env, "SESSION_IDLE_MINUTES", 30),
            session_max_hours=_positive_int(env, "SESSION_MAX_HOURS", 12),
        )
        settings = replace(settings, **overrides)
        _check_database_url(settings.database_url)
        return settings


def _parse_mode(raw: str) -> Mode:
    try:
        return Mode(raw)
    except ValueError:
        raise SettingsError(f"PORTAL_MODE must be one of {', '.join(Mode)}, not {raw!r}") from None


def _names(env: Mapping[str, str], key: str) -> frozenset[str]:
    """A comma-separated list from the environment."""
    return frozenset(name.strip().lower() for name in env.get(key, "").split(",") if name.strip())


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _check_database_url(url: str) -> None:
    if not url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise SettingsError(f"DATABASE_URL must start with postgresql:// or sqlite:///, not {url!r}")
