"""Configuration from environment variables and an optional ``.env`` file.

Names and defaults are Directus's, so an existing Directus ``.env`` mostly works
as is. A bad value stops start-up with :class:`ConfigError`, whose message is one
line naming the variable and what it expected.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

log = logging.getLogger("tessera.config")

LOG_LEVELS = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
    "silent": logging.CRITICAL + 10,
}

# What each variable expects, as the one line a person reads when it is wrong.
EXPECTED: dict[str, str] = {
    "DB_CLIENT": "one of 'sqlite3', 'pg', 'postgres', 'postgresql'",
    "DB_PORT": "a port number from 1 to 65535",
    "PORT": "a port number from 1 to 65535",
    "QUERY_LIMIT_DEFAULT": "a whole number of at least 1",
    "QUERY_LIMIT_MAX": "a whole number of at least 1, or -1 for no cap",
    "MCP_ENABLED": "true or false",
    "MCP_PROMPTS_AS_TOOLS": "true or false",
    "MCP_OAUTH_ENABLED": "true or false",
    "MCP_OAUTH_DCR_ENABLED": "true or false",
    "MCP_OAUTH_CIMD_ENABLED": "true or false",
    "MCP_OAUTH_CIMD_ALLOW_HTTP": "true or false",
    "MCP_OAUTH_REQUIRE_RESOURCE": "true or false",
    "MCP_OAUTH_AUTH_CODE_TTL": "a duration such as 60s or 2m (a bare number is milliseconds)",
    "MCP_OAUTH_CLIENT_UNUSED_TTL": "a duration such as 24h (a bare number is milliseconds)",
    "MCP_OAUTH_CLIENT_IDLE_TTL": "a duration such as 30d, or 0 for never",
    "MCP_OAUTH_MAX_CLIENTS": "a whole number, 0 or more (0: no cap)",
    "MCP_OAUTH_CLEANUP_SCHEDULE": "a cron expression such as */15 * * * *",
    "RATE_LIMITER_MCP_OAUTH_ENABLED": "true or false",
    "RATE_LIMITER_MCP_OAUTH_POINTS": "a whole number of at least 1",
    "RATE_LIMITER_MCP_OAUTH_DURATION": "a number of seconds, at least 1",
    "RATE_LIMITER_MCP_OAUTH_REGISTRATION_ENABLED": "true or false",
    "RATE_LIMITER_MCP_OAUTH_REGISTRATION_POINTS": "a whole number of at least 1",
    "RATE_LIMITER_MCP_OAUTH_REGISTRATION_DURATION": "a number of seconds, at least 1",
    "LOG_LEVEL": "one of " + ", ".join(LOG_LEVELS),
    "DB_CONNECTION_STRING": "a postgresql:// URL",
    "ADMIN_EMAIL": "an email address",
    "DB_EXCLUDE_TABLES": "a comma-separated list of table names",
    "STORAGE_LOCATIONS": "a comma-separated list of names made of letters, digits and _",
    "FILES_MAX_UPLOAD_SIZE": "a size such as 10mb or 1gb (a bare number is bytes)",
    "IMPORT_IP_DENY_LIST": "a comma-separated list of IP addresses, CIDR blocks or a-b ranges",
    "IMPORT_IP_DENY_INTERNAL": "true or false",
    "IMPORT_TIMEOUT": "a duration such as 30s or 2m (a bare number is milliseconds)",
    "IMPORT_MAX_REDIRECTS": "a whole number, 0 or more",
    "ACCESS_TOKEN_TTL": "a duration such as 15m, 2h or 7d (a bare number is milliseconds)",
    "REFRESH_TOKEN_TTL": "a duration such as 15m, 2h or 7d (a bare number is milliseconds)",
    "LOGIN_STALL_TIME": "a number of milliseconds, 0 or more",
    "MAX_BATCH_MUTATION": "a whole number, 0 or more, or Infinity for no limit",
    "SESSION_COOKIE_TTL": "a duration such as 15m, 2h or 1d (a bare number is milliseconds)",
    "SESSION_REFRESH_GRACE_PERIOD": "a duration such as 10s (a bare number is milliseconds)",
    "SESSION_COOKIE_SECURE": "true or false",
    "SESSION_COOKIE_SAME_SITE": "one of 'lax', 'strict', 'none'",
    "REFRESH_TOKEN_COOKIE_SECURE": "true or false",
    "REFRESH_TOKEN_COOKIE_SAME_SITE": "one of 'lax', 'strict', 'none'",
    "RATE_LIMITER_LOGIN_ENABLED": "true or false",
    "RATE_LIMITER_LOGIN_POINTS": "a whole number of at least 1",
    "RATE_LIMITER_LOGIN_DURATION": "a number of seconds, at least 1",
    "RATE_LIMITER_LOGIN_ACCOUNT_POINTS": "a whole number of at least 1",
    "RATE_LIMITER_LOGIN_ACCOUNT_DURATION": "a number of seconds, at least 1",
    "FLOWS_OPERATION_TIMEOUT": "a duration such as 30s or 2m (a bare number is milliseconds)",
    "FLOWS_MAX_DEPTH": "a whole number of at least 1",
    "EMAIL_TRANSPORT": "one of 'sendmail', 'smtp' (Tessera sends through no other)",
    "EMAIL_SENDMAIL_NEW_LINE": "one of 'unix', 'windows'",
    "EMAIL_SMTP_PORT": "a port number from 1 to 65535",
    "EMAIL_SMTP_SECURE": "true or false",
    "EMAIL_SMTP_IGNORE_TLS": "true or false",
    "MCP_WORKER_THREADS": "a whole number of at least 1",
    "ASSETS_CACHE_TTL": "a duration such as 30d or 1h (a bare number is milliseconds)",
    "ASSETS_CACHE_REVALIDATE": "true or false",
    "ASSETS_TRANSFORM_MAX_CONCURRENT": "a whole number of at least 1",
    "ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION": "a whole number of pixels, at least 1",
    "ASSETS_TRANSFORM_IMAGE_MAX_OUTPUT_DIMENSION": "a whole number of pixels, at least 1",
    "ASSETS_TRANSFORM_MAX_OPERATIONS": "a whole number, 0 or more",
    "ASSETS_TRANSFORM_TIMEOUT": "a duration such as 7500ms or 10s (a bare number is milliseconds)",
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$")
_UNIT_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_557_600_000,
}


def parse_duration(value: str | int) -> dt.timedelta:
    """A duration written as Directus writes them (``15m``, ``7d``; a bare number is ms)."""
    found = _DURATION.match(str(value))
    if found is None:
        raise ValueError(f"{value!r} is not a duration")
    amount, unit = float(found.group(1)), found.group(2) or "ms"
    return dt.timedelta(milliseconds=amount * _UNIT_MS[unit])


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$", re.IGNORECASE)


def parse_size(value: str | int) -> int:
    """A size written as Directus writes them (``10mb``, ``1.5gb``; units of 1024; a bare
    number is bytes)."""
    found = _SIZE.match(str(value))
    if found is None:
        raise ValueError(f"{value!r} is not a size")
    power = ["b", "kb", "mb", "gb", "tb", "pb"].index((found.group(2) or "b").lower())
    return int(float(found.group(1)) * 1024**power)


class ConfigError(Exception):
    """A configuration value is unusable; the message is meant to be printed as is."""


class _StorageVariables(PydanticBaseSettingsSource):
    """Every ``STORAGE_<LOCATION>_<OPTION>`` variable, gathered into ``storage_options``.

    Their names depend on ``STORAGE_LOCATIONS``, so they cannot be fields of their own. The
    environment wins over the ``.env`` file, as it does for every other variable.
    """

    def __init__(self, settings_cls: type[BaseSettings], *sources: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.sources = sources

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        for source in self.sources:
            for name, value in source.env_vars.items():
                name = name.lower()
                if name.startswith("storage_") and name != "storage_locations" and value:
                    found.setdefault(name.removeprefix("storage_"), value)
        return {"storage_options": found} if found else {}


class Settings(BaseSettings):
    """Every setting Tessera reads, by its environment variable's name."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(env_settings, EnvSettingsSource)
        assert isinstance(dotenv_settings, DotEnvSettingsSource)
        storage = _StorageVariables(settings_cls, env_settings, dotenv_settings)
        return init_settings, env_settings, dotenv_settings, storage, file_secret_settings

    db_client: Literal["sqlite3", "pg", "postgres", "postgresql"] = "sqlite3"
    db_filename: str = "./data/tessera.db"
    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_database: str = "tessera"
    db_user: str = "postgres"
    db_password: str = ""
    db_connection_string: str | None = None
    db_exclude_tables: str = "spatial_ref_sys,sysdiagrams"

    #: Storage location names; the first is where uploads go (see tessera.storage.locations).
    storage_locations: str = "local"
    #: The ``STORAGE_<LOCATION>_<OPTION>`` variables, by ``<location>_<option>`` in lower case;
    #: gathered by _StorageVariables, not a variable of its own (so excluded).
    storage_options: dict[str, str] = Field(default={}, exclude=True)
    #: The largest file an upload or import may store (``10mb``; a bare number is bytes).
    files_max_upload_size: str | None = None
    #: MIME types uploads may have, as patterns (``image/*,application/pdf``).
    files_mime_type_allow_list: str = "*/*"
    #: Image metadata kept in ``directus_files.metadata`` (``section.Tag`` names, or ``*``).
    file_metadata_allow_list: str = (
        "ifd0.Make,ifd0.Model,exif.FNumber,exif.ExposureTime,exif.FocalLength,exif.ISOSpeedRatings"
    )
    #: Addresses imports may not fetch from (see tessera.services.outbound).
    import_ip_deny_list: str = "0.0.0.0,169.254.169.254"
    #: Also refuse every address that is not globally reachable (Tessera's).
    import_ip_deny_internal: bool = True
    #: How long an import may take, download included (Tessera's).
    import_timeout: str = "30s"
    #: Redirects an import follows, each one checked again (Tessera's).
    import_max_redirects: int = 5

    secret: str | None = None
    public_url: str = "/"
    host: str = "0.0.0.0"
    port: int = 8055

    admin_email: str = "admin@example.com"
    admin_password: str | None = None
    admin_token: str | None = None

    access_token_ttl: str = "15m"
    refresh_token_ttl: str = "7d"
    login_stall_time: int = 500

    refresh_token_cookie_name: str = "directus_refresh_token"
    refresh_token_cookie_domain: str | None = None
    refresh_token_cookie_secure: bool = False
    refresh_token_cookie_same_site: Literal["lax", "strict", "none"] = "lax"
    session_cookie_name: str = "directus_session_token"
    session_cookie_ttl: str = "1d"
    session_cookie_domain: str | None = None
    session_cookie_secure: bool = False
    session_cookie_same_site: Literal["lax", "strict", "none"] = "lax"
    session_refresh_grace_period: str = "10s"

    rate_limiter_login_enabled: bool = True
    rate_limiter_login_points: int = 10
    rate_limiter_login_duration: int = 60
    rate_limiter_login_account_points: int = 5
    rate_limiter_login_account_duration: int = 60

    query_limit_default: int = 100
    query_limit_max: int = -1
    #: Item mutations one call may make, nested ones included; None (``Infinity``): no limit.
    max_batch_mutation: int | None = None
    mcp_enabled: bool = True
    #: Each MCP prompt also a tool, for clients without the prompts primitive (Tessera's own).
    mcp_prompts_as_tools: bool = False
    #: The MCP conformance suite's fixture tools, resources and prompts: for its test only.
    mcp_test_fixtures: bool = False
    #: How many /mcp requests do their work at once (Tessera's; see tessera.mcp.transport);
    #: unset: 1 on SQLite, 2 on PostgreSQL.
    mcp_worker_threads: int | None = None
    #: Tessera as an OAuth 2.1 authorization server for /mcp (the admin also turns on
    #: ``mcp_oauth_enabled``); DCR and CIMD each need their setting as well.
    mcp_oauth_enabled: bool = False
    mcp_oauth_dcr_enabled: bool = False
    mcp_oauth_cimd_enabled: bool = False
    mcp_oauth_auth_code_ttl: str = "60s"
    mcp_oauth_max_clients: int = 10000
    mcp_oauth_client_unused_ttl: str = "24h"
    mcp_oauth_client_idle_ttl: str = "0"
    mcp_oauth_require_resource: bool = False
    mcp_oauth_cleanup_schedule: str = "*/15 * * * *"
    #: HTTPS redirect hosts clients may register (exact or ``*.example.com``); empty: any.
    mcp_oauth_allowed_redirect_domains: str = ""
    #: Custom-scheme redirects allowed, as ``scheme://host`` (comma-separated).
    mcp_oauth_allowed_custom_redirects: str = (
        "raycast://oauth,cursor://cursor.mcp,cursor://anysphere.cursor-mcp"
    )
    mcp_oauth_cimd_allow_http: bool = False
    mcp_oauth_cimd_allowed_domains: str = ""
    mcp_oauth_cimd_blocked_tlds: str = ""
    rate_limiter_mcp_oauth_enabled: bool = True
    rate_limiter_mcp_oauth_points: int = 60
    rate_limiter_mcp_oauth_duration: int = 60
    rate_limiter_mcp_oauth_registration_enabled: bool = True
    rate_limiter_mcp_oauth_registration_points: int = 30
    rate_limiter_mcp_oauth_registration_duration: int = 60
    log_level: str = "info"
    #: Environment variables a flow may read as ``$env`` (comma-separated names).
    flows_env_allow_list: str = ""
    #: How long one operation of a flow may run before it takes its reject path (Tessera's).
    flows_operation_timeout: str = "60s"
    #: How many flows deep the trigger operation may chain runs (Tessera's guard on cycles).
    flows_max_depth: int = 10
    #: The sender of mail (the ``mail`` operation), shown with the project's name.
    email_from: str = "no-reply@example.com"
    #: How mail goes out: the ``sendmail`` program (Directus's default) or an SMTP server.
    email_transport: Literal["sendmail", "smtp"] = "sendmail"
    email_sendmail_new_line: Literal["unix", "windows"] = "unix"
    email_sendmail_path: str = "/usr/sbin/sendmail"
    #: The SMTP server (``localhost`` when unset, as nodemailer has it).
    email_smtp_host: str | None = None
    #: Its port: 587 when unset, 465 with ``EMAIL_SMTP_SECURE``.
    email_smtp_port: int | None = None
    email_smtp_user: str | None = None
    email_smtp_password: str | None = None
    #: TLS from the first byte (port 465); otherwise STARTTLS when the server offers it.
    email_smtp_secure: bool = False
    #: Never STARTTLS, even when the server offers it.
    email_smtp_ignore_tls: bool = False
    #: The name this host greets the SMTP server with (EHLO); the machine's name when unset.
    email_smtp_name: str | None = None
    #: How long browsers and proxies may keep an asset (``Cache-Control: max-age``).
    assets_cache_ttl: str = "30d"
    #: Ask clients to revalidate every asset (``max-age=0, must-revalidate``) instead.
    assets_cache_revalidate: bool = False
    #: Image transformations running at once; one more is refused with 503.
    assets_transform_max_concurrent: int = 25
    #: The widest or tallest image that is decoded for a transformation, in pixels.
    assets_transform_image_max_dimension: int = 6000
    #: The widest or tallest image a transformation may produce at any step, in pixels.
    assets_transform_image_max_output_dimension: int = 6000
    #: Operations one ``transforms`` parameter may list.
    assets_transform_max_operations: int = 5
    #: How long one transformation may run before the request is answered with 503.
    assets_transform_timeout: str = "7500ms"

    @field_validator("mcp_worker_threads")
    @classmethod
    def _workers(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("db_port", "port", "email_smtp_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError("out of range")
        return value

    @field_validator("query_limit_default")
    @classmethod
    def _limit_default(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("query_limit_max")
    @classmethod
    def _limit_max(cls, value: int) -> int:
        if value != -1 and value < 1:
            raise ValueError("must be at least 1 or -1")
        return value

    @field_validator("max_batch_mutation", mode="before")
    @classmethod
    def _no_limit(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "infinity"):
            return None
        return value

    @field_validator("max_batch_mutation")
    @classmethod
    def _batch_limit(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("access_token_ttl", "refresh_token_ttl", "session_cookie_ttl")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value) <= dt.timedelta(0):
            raise ValueError("must be longer than nothing")
        return value

    @field_validator("flows_operation_timeout")
    @classmethod
    def _timeout(cls, value: str) -> str:
        if parse_duration(value) <= dt.timedelta(0):
            raise ValueError("must be longer than nothing")
        return value

    @field_validator("flows_max_depth")
    @classmethod
    def _depth(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("assets_cache_ttl")
    @classmethod
    def _cache_ttl(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("assets_transform_timeout")
    @classmethod
    def _transform_timeout(cls, value: str) -> str:
        if parse_duration(value) <= dt.timedelta(0):
            raise ValueError("must be longer than nothing")
        return value

    @field_validator(
        "assets_transform_max_concurrent",
        "assets_transform_image_max_dimension",
        "assets_transform_image_max_output_dimension",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("assets_transform_max_operations")
    @classmethod
    def _operations(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("session_refresh_grace_period")
    @classmethod
    def _grace(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator(
        "refresh_token_cookie_same_site",
        "session_cookie_same_site",
        "email_transport",
        "email_sendmail_new_line",
        mode="before",
    )
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "mcp_oauth_auth_code_ttl", "mcp_oauth_client_unused_ttl", "mcp_oauth_client_idle_ttl"
    )
    @classmethod
    def _oauth_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("mcp_oauth_max_clients")
    @classmethod
    def _max_clients(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("mcp_oauth_cleanup_schedule")
    @classmethod
    def _cleanup_schedule(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError("not a cron expression")
        return value

    @field_validator(
        "rate_limiter_mcp_oauth_points",
        "rate_limiter_mcp_oauth_duration",
        "rate_limiter_mcp_oauth_registration_points",
        "rate_limiter_mcp_oauth_registration_duration",
        "rate_limiter_login_points",
        "rate_limiter_login_duration",
        "rate_limiter_login_account_points",
        "rate_limiter_login_account_duration",
    )
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("login_stall_time")
    @classmethod
    def _stall(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError("unknown level")
        return value.lower()

    @field_validator("db_connection_string")
    @classmethod
    def _connection_string(cls, value: str | None) -> str | None:
        if value and not value.startswith(
            ("postgres://", "postgresql://", "postgresql+psycopg://")
        ):
            raise ValueError("not a postgresql URL")
        return value or None

    @field_validator("admin_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError("not an email")
        return value

    @field_validator("storage_locations")
    @classmethod
    def _locations(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",")]
        if not all(re.fullmatch(r"\w+", name, re.ASCII) for name in names):
            raise ValueError("not a list of names")
        if len({name.lower() for name in names}) < len(names):
            raise ValueError("a name is listed twice")
        return ",".join(names)

    @field_validator("files_max_upload_size")
    @classmethod
    def _upload_size(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_size(value)
        return value.strip()

    @field_validator("import_ip_deny_list")
    @classmethod
    def _deny_list(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            for part in entry.split("-", 1):
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an address, block or range") from None
        return value

    @field_validator("import_timeout")
    @classmethod
    def _import_timeout(cls, value: str) -> str:
        if parse_duration(value) <= dt.timedelta(0):
            raise ValueError("must be longer than nothing")
        return value

    @field_validator("import_max_redirects")
    @classmethod
    def _redirects(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @model_validator(mode="after")
    def _normalise(self) -> Settings:
        if self.db_client in ("postgres", "postgresql"):
            self.db_client = "pg"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.db_client == "sqlite3"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL for the configured database."""
        if self.is_sqlite:
            return f"sqlite+pysqlite:///{self.db_filename}"
        if self.db_connection_string:
            rest = self.db_connection_string.split("://", 1)[1]
            return f"postgresql+psycopg://{rest}"
        auth = quote(self.db_user, safe="")
        if self.db_password:
            auth += ":" + quote(self.db_password, safe="")
        return f"postgresql+psycopg://{auth}@{self.db_host}:{self.db_port}/{self.db_database}"

    @property
    def query_limit_cap(self) -> int | None:
        """``QUERY_LIMIT_MAX`` as a number, or None when there is no cap."""
        return None if self.query_limit_max == -1 else self.query_limit_max

    @property
    def flows_env(self) -> tuple[str, ...]:
        """The names of ``FLOWS_ENV_ALLOW_LIST``."""
        return tuple(n.strip() for n in self.flows_env_allow_list.split(",") if n.strip())

    @property
    def mcp_oauth_custom_redirects(self) -> tuple[str, ...]:
        """``MCP_OAUTH_ALLOWED_CUSTOM_REDIRECTS`` as ``scheme://host`` entries, lower case."""
        return _names(self.mcp_oauth_allowed_custom_redirects, lower=True)

    @property
    def mcp_oauth_redirect_domains(self) -> tuple[str, ...]:
        return _names(self.mcp_oauth_allowed_redirect_domains, lower=True)

    @property
    def mcp_oauth_cimd_domains(self) -> tuple[str, ...]:
        return _names(self.mcp_oauth_cimd_allowed_domains, lower=True)

    @property
    def mcp_oauth_cimd_tlds(self) -> tuple[str, ...]:
        """Blocked TLDs of CIMD hosts; Directus's built-in list when none are set."""
        listed = _names(self.mcp_oauth_cimd_blocked_tlds, lower=True)
        return listed or ("test", "localhost", "invalid", "example", "local", "onion")

    @property
    def excluded_tables(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.db_exclude_tables.split(",") if t.strip())

    @property
    def secret_path(self) -> Path:
        """Where a generated SECRET is kept: beside the SQLite file, or in ./data for PostgreSQL."""
        if self.is_sqlite:
            return Path(self.db_filename + ".secret")
        return Path("data") / f"{make_url(self.database_url).database}.secret"

    @property
    def files_max_upload_bytes(self) -> int | None:
        """``FILES_MAX_UPLOAD_SIZE`` in bytes; None when uploads have no cap."""
        size = self.files_max_upload_size
        return None if size is None else parse_size(size)

    @property
    def storage_location_names(self) -> list[str]:
        """``STORAGE_LOCATIONS`` as a list, the default location first."""
        return self.storage_locations.split(",")


def _names(value: str, *, lower: bool = False) -> tuple[str, ...]:
    """A comma-separated list, trimmed, empty entries dropped."""
    names = (name.strip() for name in value.split(","))
    return tuple(name.lower() if lower else name for name in names if name)


def load_settings(env_file: str | os.PathLike[str] | None = ".env", **overrides: Any) -> Settings:
    """Read the settings, raising :class:`ConfigError` with one clear line when one is bad."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        got = first.get("input")
        expected = EXPECTED.get(name, first["msg"])
        raise ConfigError(f"{name} must be {expected} (got {got!r})") from None


def ensure_secret(settings: Settings) -> str:
    """Return SECRET, generating and persisting one on first run when it is unset."""
    if settings.secret:
        return settings.secret
    path = settings.secret_path
    if path.exists():
        settings.secret = path.read_text().strip()
        return settings.secret
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.warning(
        "SECRET is not set: generated one and saved it in %s. Set SECRET to the same value "
        "on every instance that serves this database.",
        path,
    )
    settings.secret = value
    return value
