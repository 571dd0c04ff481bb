"""Settings → AI → Model Context Protocol: every ``mcp_*`` project setting, the prompts
collection generator, and — while MCP is on — the endpoint and client configurations.

Admins only: ``directus_settings`` is read and written through the items service as the
signed-in admin, so the activity log records each change. The OAuth switches are shown
but cannot be turned on while the environment keeps OAuth off (``MCP_OAUTH_ENABLED``).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.client_configs import client_configs
from tessera.admin.home import mcp_url
from tessera.admin.views import Visit, admin_page, field_errors
from tessera.errors import ForbiddenError, TesseraError
from tessera.mcp.tools.system_prompt import DEFAULT_PROMPT
from tessera.schema.names import check_name
from tessera.services.prompts_collection import DEFAULT_COLLECTION, create_prompts_collection
from tessera.services.schema_change import SchemaContext

PATH = "/admin/settings/mcp"
SETTINGS = "directus_settings"
#: The switches, in the page's order: (setting, label, one-line explanation).
SWITCHES = (
    (
        "mcp_enabled",
        "Enable MCP",
        "Lets AI assistants connect at /mcp, each with exactly the rights of the user "
        "it signs in as.",
    ),
    (
        "mcp_allow_deletes",
        "Allow deletes",
        "Lets assistants delete items, files, flows and schema. Off, every delete "
        "through MCP is refused.",
    ),
    (
        "mcp_system_prompt_enabled",
        "Use the system prompt",
        "Offers the system-prompt tool, which tells the assistant how to work with this "
        "server before it starts.",
    ),
)
OAUTH_SWITCHES = (
    (
        "mcp_oauth_enabled",
        "Sign in with OAuth",
        "Clients may sign the user in and ask for their consent instead of using a token.",
    ),
    (
        "mcp_oauth_dcr_enabled",
        "Dynamic client registration",
        "Clients may register themselves (RFC 7591) before signing in.",
    ),
    (
        "mcp_oauth_cimd_enabled",
        "Client ID metadata documents",
        "Clients may identify themselves by the URL of a metadata document they publish.",
    ),
)
FIELDS = (
    *(name for name, _, _ in SWITCHES),
    *(name for name, _, _ in OAUTH_SWITCHES),
    "mcp_prompts_collection",
    "mcp_system_prompt",
)


def _require_admin(visit: Visit) -> None:
    if not visit.caller.admin:
        raise ForbiddenError()


def _show(visit: Visit, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    state = visit.state
    env = state.settings
    oauth_env = env.mcp_oauth_enabled
    url = mcp_url(visit.request)
    collections = sorted(
        name for name in state.schema.get().collections if not name.startswith("directus_")
    )
    return visit.render(
        "mcp_settings.html",
        status,
        section=PATH,
        values=values,
        errors=errors,
        switches=SWITCHES,
        oauth_switches=OAUTH_SWITCHES,
        oauth_off_reason=(
            None
            if oauth_env
            else "MCP_OAUTH_ENABLED is false in the server's environment, so OAuth cannot "
            "be turned on here."
        ),
        mcp_env=env.mcp_enabled,
        collections=collections,
        default_prompt=DEFAULT_PROMPT,
        default_collection=DEFAULT_COLLECTION,
        url=url,
        configs=client_configs(url) if values.get("mcp_enabled") and env.mcp_enabled else [],
    )


@admin_page
def show(visit: Visit) -> Response:
    _require_admin(visit)
    values = visit.items().read_singleton(SETTINGS, {"fields": list(FIELDS)})
    return _show(visit, values, {})


@admin_page
def save(visit: Visit) -> Response:
    _require_admin(visit)
    form = visit.form
    changes: dict[str, Any] = {name: form.get(name) == "on" for name, _, _ in SWITCHES}
    if visit.state.settings.mcp_oauth_enabled:
        changes.update({name: form.get(name) == "on" for name, _, _ in OAUTH_SWITCHES})
    changes["mcp_prompts_collection"] = form.get("mcp_prompts_collection") or None
    prompt = form.get("mcp_system_prompt", "").replace("\r\n", "\n").strip()
    changes["mcp_system_prompt"] = prompt or None
    known = visit.state.schema.get().collections
    errors: dict[str, str] = {}
    chosen = changes["mcp_prompts_collection"]
    if chosen is not None and (chosen not in known or chosen.startswith("directus_")):
        errors["mcp_prompts_collection"] = f'There is no collection "{chosen}".'
    if not errors:
        try:
            visit.items().upsert_singleton(SETTINGS, changes)
        except TesseraError as exc:
            errors = field_errors(exc)
    if errors:
        current = visit.items().read_singleton(SETTINGS, {"fields": list(FIELDS)})
        return _show(visit, {**current, **changes}, errors, 400)
    return visit.done(PATH, "saved")


@admin_page
def generate_prompts(visit: Visit) -> Response:
    """Create (or complete) the prompts collection and make MCP read its prompts from it."""
    _require_admin(visit)
    name = visit.form.get("collection", "").strip() or DEFAULT_COLLECTION
    try:
        check_name(name, "collection")
    except TesseraError as exc:
        current = visit.items().read_singleton(SETTINGS, {"fields": list(FIELDS)})
        return _show(visit, current, {"collection": exc.extensions["reason"]}, 400)
    state = visit.state
    create_prompts_collection(SchemaContext(state.db, state.schema, visit.caller), name)
    visit.items().upsert_singleton(SETTINGS, {"mcp_prompts_collection": name})
    return visit.done(PATH, "prompts")


routes: list[BaseRoute] = [
    Route(PATH, show, methods=["GET"]),
    Route(PATH, save, methods=["POST"]),
    Route(f"{PATH}/prompts", generate_prompts, methods=["POST"]),
]
