"""``tessera init`` and ``tessera serve``: set a database up, then serve it."""

from __future__ import annotations

import click
import uvicorn
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from tessera import __version__
from tessera.app import create_app
from tessera.config import LOG_LEVELS, ConfigError, Settings, ensure_secret, load_settings
from tessera.db.engine import Database
from tessera.db.migrations import migrate
from tessera.logs import configure_logging
from tessera.services.bootstrap import BootstrapResult, bootstrap
from tessera.services.server import mcp_switched_on

out = Console()
err = Console(stderr=True)


@click.command()
def init() -> None:
    """Set up the database: the system tables, then the first admin.

    Safe to run again: it only adds what is missing. When ADMIN_PASSWORD is
    not set, the first admin gets a generated password, printed once.

    \b
    Examples:
      tessera init
      ADMIN_EMAIL=me@example.com ADMIN_PASSWORD=... tessera init
    """
    settings = _settings()
    db = _set_up(settings)
    db.dispose()


@click.command()
@click.option("--host", help="Address to listen on.  [default: HOST, or 0.0.0.0]")
@click.option("--port", type=click.IntRange(1, 65535), help="Port.  [default: PORT, or 8055]")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes; more than one needs a database every process can reach.",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Set up the database as init does, then serve the API.

    \b
    Examples:
      tessera serve
      tessera serve --host 127.0.0.1 --port 9000
      tessera serve --workers 4
    """
    settings = _settings()
    db = _set_up(settings)
    host = host or settings.host
    port = port or settings.port
    base = _base_url(settings, host, port)
    out.print(f"Tessera {__version__} is starting", highlight=False)
    out.print(f"  Admin     {base}/admin", highlight=False, soft_wrap=True)
    out.print(f"  REST API  {base}", highlight=False, soft_wrap=True)
    out.print(f"  Health    {base}/server/health", highlight=False, soft_wrap=True)
    out.print(
        f"  MCP       {base}/mcp  ({_mcp_state(settings, db)})", highlight=False, soft_wrap=True
    )
    level = LOG_LEVELS[settings.log_level]
    if workers == 1:
        uvicorn.run(create_app(settings, db), host=host, port=port, log_level=level)
        return
    db.dispose()  # each worker opens its own
    uvicorn.run(
        "tessera.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=level,
    )


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    configure_logging(settings)
    ensure_secret(settings)
    return settings


def _set_up(settings: Settings) -> Database:
    db = Database(settings.database_url)
    where = f"{db.url.database} (SQLite)" if db.is_sqlite else db.url.render_as_string()
    try:
        applied = migrate(db)
        result = bootstrap(db, settings)
    except SQLAlchemyError as exc:
        db.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        message = f"Cannot set up the database {where}: {reason}"
        err.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    out.print(f"Database  {escape(where)}", highlight=False, soft_wrap=True)
    _report(applied, result)
    return db


def _report(applied: list[str], result: BootstrapResult) -> None:
    lines = []
    if applied:
        lines.append(f"applied migrations {', '.join(applied)}")
    if result.settings_created:
        lines.append("created the project settings")
    if result.admin_policy:
        lines.append("created the Administrator policy")
    if result.admin_role:
        lines.append("created the Administrator role")
    if result.public_policy:
        lines.append("attached the Public policy to unauthenticated requests")
    if result.admin_user:
        lines.append(f"created the admin user {result.admin_email}")
    for line in lines or ["nothing to do: the database is up to date"]:
        out.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if result.generated_password:
        out.print(
            f"  [bold]Admin password:[/bold] {escape(result.generated_password)}"
            "  (generated; it is not shown again)",
            highlight=False,
            soft_wrap=True,
        )


def _base_url(settings: Settings, host: str, port: int) -> str:
    if settings.public_url.startswith(("http://", "https://")):
        return settings.public_url.rstrip("/")
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def _mcp_state(settings: Settings, db: Database) -> str:
    """Whether /mcp answers, and what turns it on when it does not."""
    if not settings.mcp_enabled:
        return "off: MCP_ENABLED is false"
    if mcp_switched_on(db, settings):
        return "on"
    return "off until enabled: Settings in the admin app, or tessera settings set mcp_enabled true"
