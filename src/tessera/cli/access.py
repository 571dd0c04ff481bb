"""``tessera roles``, ``tessera policies`` and ``tessera permissions``.

Thin layers over the items service, as :mod:`tessera.cli.service` describes.
"""

from __future__ import annotations

import json
from typing import Any

import click

from tessera.access.permissions import ACTIONS
from tessera.cli.service import (
    JSON_OPTION,
    ServiceGroup,
    find,
    items_service,
    names,
    note,
    refuse_taken,
    show,
)
from tessera.query.filter import parse_filter
from tessera.services.access_presets import PRESETS, preset_rows
from tessera.services.grants import RULE_DEPTH

PRESET_HELP = """Grant POLICY (name or id) what a role of Directus's MCP guide needs.

\b
  content-editor  create, read and update (never delete) the items of every
                  user collection; upload, read and describe files (create,
                  read and update directus_files); read folders; read the
                  schema, which the MCP schema tool needs (directus_collections,
                  directus_fields, directus_relations)
  developer       the same, with delete too, and folders managed as well

Every permission covers all fields and all items. "Every user collection" means those
that exist now: run it again after adding collections, and it grants what is missing,
leaving alone any collection and action the policy has a permission for. Changing the
schema stays with admins: for that, give the user a policy with --admin-access. Prints the
new permissions' ids.
"""


# --- roles ------------------------------------------------------------------------------


@click.group(cls=ServiceGroup)
def roles() -> None:
    """Create, list and delete roles.

    A role groups users; its policies (and its parent's) say what they may do.

    \b
    Examples:
      tessera roles create "Content Editor" --policy "Content Editor"
      tessera roles create Interns --parent "Content Editor"
      tessera roles list --json
    """


@roles.command("create")
@click.argument("name")
@click.option("--parent", metavar="ROLE", help="A role (name or id) whose policies it inherits.")
@click.option(
    "--policy",
    "policies",
    metavar="POLICY",
    multiple=True,
    help="A policy (name or id) to attach; repeat for several.",
)
def create_role(name: str, parent: str | None, policies: tuple[str, ...]) -> None:
    """Create the role NAME; prints its id."""
    items = items_service()
    refuse_taken(items, "role", name)
    data: dict[str, Any] = {"name": name}
    if parent is not None:
        data["parent"] = find(items, "role", parent)
    if policies:
        data["policies"] = [{"policy": find(items, "policy", policy)} for policy in policies]
    click.echo(items.create_one("directus_roles", data))


@roles.command("list")
@JSON_OPTION
def list_roles(as_json: bool) -> None:
    """The roles: id, name, parent and policies."""
    found = items_service().read_by_query(
        "directus_roles",
        {
            "fields": ["id", "name", "parent.name", "policies.policy.name"],
            "sort": ["name"],
            "limit": -1,
        },
    )
    rows = [
        {
            "id": role["id"],
            "name": role["name"],
            "parent": (role["parent"] or {}).get("name"),
            "policies": names(role["policies"], "policy", "name"),
        }
        for role in found.data
    ]
    show(rows, as_json)


@roles.command("delete")
@click.argument("role")
def delete_role(role: str) -> None:
    """Delete ROLE (name or id). Its users are suspended and left without a role."""
    items = items_service()
    items.delete_one("directus_roles", find(items, "role", role))
    note(f'Deleted the role "{role}".')


# --- policies ---------------------------------------------------------------------------


@click.group(cls=ServiceGroup)
def policies() -> None:
    """Create, list, attach and delete policies.

    A policy holds permissions and flags; it applies to the roles and users it is attached to.

    \b
    Examples:
      tessera policies create "Content Editor" --preset content-editor
      tessera policies create Office --ip-access 10.0.0.0/8,192.168.1.10
      tessera policies attach Office --role "Content Editor"
      tessera policies attach Office --user ann@example.com
    """


@policies.command("create")
@click.argument("name")
@click.option("--admin-access", is_flag=True, help="Everything is allowed, on every collection.")
@click.option(
    "--app-access", is_flag=True, help="May sign in to the app (adds Directus's minimal rights)."
)
@click.option(
    "--ip-access",
    metavar="LIST",
    help="Only from these addresses, ranges (a-b) or CIDR blocks, comma-separated.",
)
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    help="Grant a preset's permissions too: see `tessera permissions preset --help`.",
)
def create_policy(
    name: str, admin_access: bool, app_access: bool, ip_access: str | None, preset: str | None
) -> None:
    """Create the policy NAME; prints its id."""
    items = items_service()
    refuse_taken(items, "policy", name)
    data: dict[str, Any] = {"name": name, "admin_access": admin_access, "app_access": app_access}
    if ip_access is not None:
        data["ip_access"] = ip_access
    if preset is not None:
        data["permissions"] = preset_rows(items.schema.get(), preset)
    click.echo(items.create_one("directus_policies", data))
    if preset is not None:
        note(f"Granted {len(data['permissions'])} permissions ({preset}).")


@policies.command("list")
@JSON_OPTION
def list_policies(as_json: bool) -> None:
    """The policies: id, name, flags, and the roles and users they are attached to."""
    fields = [
        "id",
        "name",
        "admin_access",
        "app_access",
        "ip_access",
        "roles.role.name",
        "users.user.email",
    ]
    found = items_service().read_by_query(
        "directus_policies", {"fields": fields, "sort": ["name"], "limit": -1}
    )
    rows = [
        {
            **{key: policy[key] for key in fields[:5]},
            "roles": names(policy["roles"], "role", "name"),
            "users": names(policy["users"], "user", "email"),
        }
        for policy in found.data
    ]
    show(rows, as_json)


@policies.command("attach")
@click.argument("policy")
@click.option("--role", metavar="ROLE", help="The role (name or id) that gets the policy.")
@click.option("--user", metavar="EMAIL", help="The user (email or id) who gets the policy.")
def attach_policy(policy: str, role: str | None, user: str | None) -> None:
    """Attach POLICY (name or id) to a role or to a user; prints the attachment's id."""
    if role is not None and user is None:
        kind, named = "role", role
    elif user is not None and role is None:
        kind, named = "user", user
    else:
        raise click.ClickException("Give either --role or --user.")
    items = items_service()
    data = {"policy": find(items, "policy", policy), kind: find(items, kind, named)}
    query = {"filter": {key: {"_eq": value} for key, value in data.items()}, "fields": ["id"]}
    existing = items.read_by_query("directus_access", query).data
    if existing:
        note(f'"{policy}" is attached already.')
        click.echo(existing[0]["id"])
        return
    click.echo(items.create_one("directus_access", data))


@policies.command("delete")
@click.argument("policy")
def delete_policy(policy: str) -> None:
    """Delete POLICY (name or id), its permissions and its attachments."""
    items = items_service()
    items.delete_one("directus_policies", find(items, "policy", policy))
    note(f'Deleted the policy "{policy}".')


# --- permissions ------------------------------------------------------------------------


@click.group(cls=ServiceGroup)
def permissions() -> None:
    """Add, list and remove the permissions of policies.

    A permission lets a policy's users do one ACTION (create, read, update, delete,
    share) on one collection: on the FIELDS listed, on the items its FILTER selects,
    with values that pass its VALIDATION, and PRESETS as default values.

    \b
    Examples:
      tessera permissions add Editors articles read
      tessera permissions add Editors articles update --fields title,body \\
          --filter '{"author": {"_eq": "$CURRENT_USER"}}'
      tessera permissions preset content-editor Editors
      tessera permissions list --policy Editors
    """


@permissions.command("add")
@click.argument("policy")
@click.argument("collection")
@click.argument("action", type=click.Choice(ACTIONS))
@click.option(
    "--fields", default="*", show_default=True, help="Comma-separated fields, or * for all."
)
@click.option("--filter", "rule", metavar="JSON", help="Which items: a filter (row rule).")
@click.option("--validation", metavar="JSON", help="A filter new values must pass.")
@click.option("--presets", metavar="JSON", help="An object of default values.")
def add_permission(
    policy: str,
    collection: str,
    action: str,
    fields: str,
    rule: str | None,
    validation: str | None,
    presets: str | None,
) -> None:
    """Let POLICY (name or id) do ACTION on COLLECTION; prints the permission's id."""
    items = items_service()
    info = items.schema.get().collections.get(collection)
    if info is None or info.table is None:
        raise click.ClickException(f'No collection named "{collection}".')
    data: dict[str, Any] = {
        "policy": find(items, "policy", policy),
        "collection": collection,
        "action": action,
        "fields": fields,
        "permissions": _filter(rule, "filter"),
        "validation": _filter(validation, "validation"),
        "presets": _presets(presets),
    }
    click.echo(items.create_one("directus_permissions", data))


@permissions.command("preset", help=PRESET_HELP)
@click.argument("preset", type=click.Choice(list(PRESETS)))
@click.argument("policy")
def preset_permissions(preset: str, policy: str) -> None:
    items = items_service()
    key = find(items, "policy", policy)
    held = items.read_by_query(
        "directus_permissions",
        {"filter": {"policy": {"_eq": key}}, "fields": ["collection", "action"], "limit": -1},
    ).data
    pairs = {(row["collection"], row["action"]) for row in held}
    wanted = preset_rows(items.schema.get(), preset)
    rows = [
        {**row, "policy": key} for row in wanted if (row["collection"], row["action"]) not in pairs
    ]
    for created in items.create_many("directus_permissions", rows) if rows else []:
        click.echo(created)
    note(
        f"Granted {len(rows)} permissions ({preset}); {len(wanted) - len(rows)} were there already."
    )


@permissions.command("list")
@click.option("--policy", metavar="POLICY", help="Only this policy's (name or id).")
@JSON_OPTION
def list_permissions(policy: str | None, as_json: bool) -> None:
    """The permissions: id, policy, collection, action, fields, filter, validation, presets."""
    items = items_service()
    query: dict[str, Any] = {
        "fields": [
            "id",
            "policy.name",
            "collection",
            "action",
            "fields",
            "permissions",
            "validation",
            "presets",
        ],
        "sort": ["id"],
        "limit": -1,
    }
    if policy is not None:
        query["filter"] = {"policy": {"_eq": find(items, "policy", policy)}}
    rows = [
        {
            "id": row["id"],
            "policy": (row["policy"] or {}).get("name"),
            "collection": row["collection"],
            "action": row["action"],
            "fields": row["fields"],
            "filter": row["permissions"],
            "validation": row["validation"],
            "presets": row["presets"],
        }
        for row in items.read_by_query("directus_permissions", query).data
    ]
    show(rows, as_json)


@permissions.command("remove")
@click.argument("permission_id", metavar="ID", type=int)
def remove_permission(permission_id: int) -> None:
    """Remove the permission ID (see `tessera permissions list`)."""
    items = items_service()
    if not items.read_many("directus_permissions", [permission_id], {"fields": ["id"]}):
        raise click.ClickException(f"No permission with the id {permission_id}.")
    items.delete_one("directus_permissions", permission_id)
    note(f"Removed the permission {permission_id}.")


def _filter(text: str | None, where: str) -> Any:
    """A filter given as JSON, checked by the parser that will apply it (INVALID_QUERY)."""
    if text is None:
        return None
    parse_filter(text, where, RULE_DEPTH)
    return json.loads(text)


def _presets(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise click.ClickException("--presets must be a JSON object.")
    return value
