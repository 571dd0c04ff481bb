"""``tessera prompts init``: the collection MCP prompts are read from
(:mod:`tessera.services.prompts_collection`), made as an admin so the activity log records
it with origin ``cli``; then ``mcp_prompts_collection`` names it.
"""

from __future__ import annotations

import click

from tessera.cli.service import CLI_CALLER, ServiceGroup, items_service, note
from tessera.services.prompts_collection import DEFAULT_COLLECTION, create_prompts_collection
from tessera.services.schema_change import SchemaContext


@click.group(cls=ServiceGroup)
def prompts() -> None:
    """The collection MCP prompts are read from.

    \b
    Examples:
      tessera prompts init                       # the ai_prompts collection
      tessera prompts init --collection prompts  # another name, or an existing one
    """


@prompts.command("init")
@click.option(
    "--collection",
    default=DEFAULT_COLLECTION,
    show_default=True,
    help="The collection to create, or to complete when it exists.",
)
def init_prompts(collection: str) -> None:
    """Create the prompts collection (or add the fields it lacks) and set mcp_prompts_collection."""
    items = items_service()
    context = SchemaContext(items.db, items.schema, CLI_CALLER)
    added = create_prompts_collection(context, collection)
    items.upsert_singleton("directus_settings", {"mcp_prompts_collection": collection})
    if added:
        note(f"{collection}: added {', '.join(added)}")
    else:
        note(f"{collection} already has every prompt field")
    note(
        f"mcp_prompts_collection = {collection}. Grant the MCP user read access to it: "
        f"tessera permissions add POLICY {collection} read"
    )
